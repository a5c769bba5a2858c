package dev.potaccel.device.opencl;

import java.util.Map;

/**
 * OpenCL error codes as names and one-line meanings. JOCL reports a failed call as a bare
 * number (or, with exceptions enabled, a name without the call's context); every wrapper here
 * checks the code itself and throws {@link OpenClException} naming the call, so a user reads
 * "clCreateBuffer(activation slot 2, 12845056 bytes) failed: CL_MEM_OBJECT_ALLOCATION_FAILURE
 * (-4): the device could not allocate memory for the buffer".
 */
final class ClErrors {
  private ClErrors() {}

  private record Info(String name, String meaning) {}

  private static final Map<Integer, Info> CODES = Map.ofEntries(
      e(-1, "CL_DEVICE_NOT_FOUND", "no OpenCL device of the requested type"),
      e(-2, "CL_DEVICE_NOT_AVAILABLE", "the device is in use or not available"),
      e(-3, "CL_COMPILER_NOT_AVAILABLE", "the platform has no OpenCL C compiler (use a binary)"),
      e(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE", "the device could not allocate memory for the"
          + " buffer"),
      e(-5, "CL_OUT_OF_RESOURCES", "the device ran out of resources (memory, or a kernel"
          + " crashed)"),
      e(-6, "CL_OUT_OF_HOST_MEMORY", "the OpenCL runtime ran out of host memory"),
      e(-7, "CL_PROFILING_INFO_NOT_AVAILABLE", "the queue was not created with profiling"),
      e(-8, "CL_MEM_COPY_OVERLAP", "source and destination of a copy overlap"),
      e(-9, "CL_IMAGE_FORMAT_MISMATCH", "image formats differ"),
      e(-10, "CL_IMAGE_FORMAT_NOT_SUPPORTED", "image format not supported"),
      e(-11, "CL_BUILD_PROGRAM_FAILURE", "the kernels did not compile (see the build log)"),
      e(-12, "CL_MAP_FAILURE", "mapping a buffer failed"),
      e(-13, "CL_MISALIGNED_SUB_BUFFER_OFFSET", "sub-buffer offset is not aligned"),
      e(-14, "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST", "an event waited on failed"),
      e(-15, "CL_COMPILE_PROGRAM_FAILURE", "the program did not compile"),
      e(-16, "CL_LINKER_NOT_AVAILABLE", "the platform has no linker"),
      e(-17, "CL_LINK_PROGRAM_FAILURE", "the program did not link"),
      e(-18, "CL_DEVICE_PARTITION_FAILED", "device partition failed"),
      e(-19, "CL_KERNEL_ARG_INFO_NOT_AVAILABLE", "no kernel argument info"),
      e(-30, "CL_INVALID_VALUE", "an argument has an invalid value"),
      e(-31, "CL_INVALID_DEVICE_TYPE", "invalid device type"),
      e(-32, "CL_INVALID_PLATFORM", "invalid platform"),
      e(-33, "CL_INVALID_DEVICE", "invalid device, or not in the context"),
      e(-34, "CL_INVALID_CONTEXT", "invalid context"),
      e(-35, "CL_INVALID_QUEUE_PROPERTIES", "queue properties not supported by the device"),
      e(-36, "CL_INVALID_COMMAND_QUEUE", "invalid command queue"),
      e(-37, "CL_INVALID_HOST_PTR", "invalid host pointer"),
      e(-38, "CL_INVALID_MEM_OBJECT", "invalid buffer (released?)"),
      e(-39, "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR", "invalid image format"),
      e(-40, "CL_INVALID_IMAGE_SIZE", "invalid image size"),
      e(-41, "CL_INVALID_SAMPLER", "invalid sampler"),
      e(-42, "CL_INVALID_BINARY", "the program binary is not valid for this device (rebuild it"
          + " for this device and driver)"),
      e(-43, "CL_INVALID_BUILD_OPTIONS", "invalid build options"),
      e(-44, "CL_INVALID_PROGRAM", "invalid program"),
      e(-45, "CL_INVALID_PROGRAM_EXECUTABLE", "the program has not been built for the device"),
      e(-46, "CL_INVALID_KERNEL_NAME", "the program has no kernel of this name (the bitstream"
          + " was built without it)"),
      e(-47, "CL_INVALID_KERNEL_DEFINITION", "invalid kernel definition"),
      e(-48, "CL_INVALID_KERNEL", "invalid kernel"),
      e(-49, "CL_INVALID_ARG_INDEX", "kernel argument index out of range (host and kernel"
          + " sources disagree)"),
      e(-50, "CL_INVALID_ARG_VALUE", "invalid kernel argument value"),
      e(-51, "CL_INVALID_ARG_SIZE", "kernel argument size does not match its type"),
      e(-52, "CL_INVALID_KERNEL_ARGS", "a kernel argument was not set"),
      e(-53, "CL_INVALID_WORK_DIMENSION", "invalid number of work dimensions"),
      e(-54, "CL_INVALID_WORK_GROUP_SIZE", "invalid work-group size"),
      e(-55, "CL_INVALID_WORK_ITEM_SIZE", "invalid work-item size"),
      e(-56, "CL_INVALID_GLOBAL_OFFSET", "invalid global offset"),
      e(-57, "CL_INVALID_EVENT_WAIT_LIST", "invalid event wait list"),
      e(-58, "CL_INVALID_EVENT", "invalid event"),
      e(-59, "CL_INVALID_OPERATION", "operation not valid in this state"),
      e(-60, "CL_INVALID_GL_OBJECT", "invalid GL object"),
      e(-61, "CL_INVALID_BUFFER_SIZE", "buffer size 0 or larger than the device allows"
          + " (CL_DEVICE_MAX_MEM_ALLOC_SIZE)"),
      e(-62, "CL_INVALID_MIP_LEVEL", "invalid mip level"),
      e(-63, "CL_INVALID_GLOBAL_WORK_SIZE", "invalid global work size"),
      e(-64, "CL_INVALID_PROPERTY", "invalid property"),
      e(-65, "CL_INVALID_IMAGE_DESCRIPTOR", "invalid image descriptor"),
      e(-66, "CL_INVALID_COMPILER_OPTIONS", "invalid compiler options"),
      e(-67, "CL_INVALID_LINKER_OPTIONS", "invalid linker options"),
      e(-68, "CL_INVALID_DEVICE_PARTITION_COUNT", "invalid device partition count"),
      e(-1001, "CL_PLATFORM_NOT_FOUND_KHR", "no OpenCL platform is installed (no ICD in"
          + " /etc/OpenCL/vendors: apt-get install pocl-opencl-icd)"));

  private static Map.Entry<Integer, Info> e(int code, String name, String meaning) {
    return Map.entry(code, new Info(name, meaning));
  }

  /** "CL_INVALID_VALUE (-30): an argument has an invalid value". */
  static String describe(int code) {
    Info i = CODES.get(code);
    return i == null ? "error " + code + " (not a standard OpenCL error code)"
        : i.name + " (" + code + "): " + i.meaning;
  }

  /** The symbolic name alone, "CL_INVALID_VALUE", or the number. */
  static String name(int code) {
    Info i = CODES.get(code);
    return i == null ? Integer.toString(code) : i.name;
  }

  /**
   * Throws {@link OpenClException} "{@code call} failed: NAME (code): meaning" unless {@code code}
   * is CL_SUCCESS.
   */
  static void check(int code, String call) {
    if (code != 0) {
      throw new OpenClException(call + " failed: " + describe(code), code, null);
    }
  }
}
