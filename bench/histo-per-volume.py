#!/usr/bin/env python3
"""Bytes per volume by holder between two `jcmd <pid> GC.class_histogram` outputs (PodBench --histogram).

    bench/histo-per-volume.py BEFORE.txt AFTER.txt VOLUMES_ADDED

Heap fillers and int[] (caches that move by a megabyte between readings) are shown apart as noise.
"""
import re
import sys


def load(path):
    d = {}
    for line in open(path):
        m = re.match(r'\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)', line)
        if m:
            d[m.group(3)] = int(m.group(2))
    return d


def holder(cls):
    if cls.startswith('[Ljdk.internal.vm.FillerElement') or cls == '[I':
        return 'noise (heap fillers, int[] caches)'
    if ('BehaviorBuilder' in cls or 'BuiltBehavior' in cls or 'VolumeActor$Idle' in cls or 'VolumeActor$Adopted' in cls
            or re.search(r'io\.sscsi\.volume\.VolumeActor.*Lambda', cls)):
        return 'behaviours (case lists, handler lambdas)'
    if cls in ('java.lang.String', '[B'):
        return 'strings (String + byte[])'
    if cls.startswith('org.apache.pekko') or cls.startswith('scala.'):
        return 'pekko actor (cell, ref, path, props, mailbox, supervisor, timers, stash, watch)'
    if cls.startswith('io.sscsi') or cls in ('sun.nio.fs.UnixPath', 'java.util.ImmutableCollections$MapN',
                                             'java.time.Instant', '[Ljava.lang.Object;', 'java.util.ArrayList'):
        return 'volume state (request, MountedVolume, paths, maps, router entry)'
    return 'other'


a, b, n = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
groups = {}
for cls in set(a) | set(b):
    g = holder(cls)
    groups[g] = groups.get(g, 0) + b.get(cls, 0) - a.get(cls, 0)
total = 0
for g, v in sorted(groups.items(), key=lambda x: -x[1]):
    print(f"{v / n:8.0f} B/volume  {g}")
    if not g.startswith('noise'):
        total += v
print(f"{total / n:8.0f} B/volume  total without noise")
