package io.sscsi.provider;

import static io.sscsi.grpc.UnaryMethods.of;

import io.grpc.MethodDescriptor;
import io.sscsi.provider.v1alpha1.MountRequest;
import io.sscsi.provider.v1alpha1.MountResponse;
import io.sscsi.provider.v1alpha1.VersionRequest;
import io.sscsi.provider.v1alpha1.VersionResponse;

/** The two RPCs of {@code v1alpha1.CSIDriverProvider}, for our client and for providers we serve. */
public final class ProviderMethods {
  private ProviderMethods() {}

  public static final String SERVICE = "v1alpha1.CSIDriverProvider";
  public static final MethodDescriptor<VersionRequest, VersionResponse> VERSION =
      of(SERVICE, "Version", VersionRequest.getDefaultInstance(), VersionResponse.getDefaultInstance());
  public static final MethodDescriptor<MountRequest, MountResponse> MOUNT =
      of(SERVICE, "Mount", MountRequest.getDefaultInstance(), MountResponse.getDefaultInstance());
}
