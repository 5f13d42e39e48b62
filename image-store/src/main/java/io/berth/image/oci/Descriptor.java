package io.berth.image.oci;

import java.util.List;
import java.util.Map;

/** An OCI content descriptor: what a blob is, its digest and size, and (in an index) its platform. */
public record Descriptor(
    String mediaType, String digest, long size, Platform platform, Map<String, String> annotations,
    List<String> urls) {}
