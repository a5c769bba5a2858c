package dev.potaccel.device.opencl;

import java.util.Locale;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device as {@code potaccel devices} lists it and as manifests are matched against:
 * its indices ({@code --device opencl:platform:device}), the names the manifest patterns match,
 * and the limits a package is checked against before anything is allocated.
 *
 * @param platformIndex position in clGetPlatformIDs
 * @param deviceIndex position in clGetDeviceIDs(CL_DEVICE_TYPE_ALL) of the platform
 * @param platformName CL_PLATFORM_NAME
 * @param platformVersion CL_PLATFORM_VERSION
 * @param deviceName CL_DEVICE_NAME
 * @param deviceVendor CL_DEVICE_VENDOR
 * @param deviceVersion CL_DEVICE_VERSION
 * @param driverVersion CL_DRIVER_VERSION (part of the program cache key: a new driver rebuilds)
 * @param type "CPU", "GPU", "ACCELERATOR" (FPGA boards), "CUSTOM" or "DEFAULT"
 * @param computeUnits CL_DEVICE_MAX_COMPUTE_UNITS
 * @param globalMemBytes CL_DEVICE_GLOBAL_MEM_SIZE
 * @param maxAllocBytes CL_DEVICE_MAX_MEM_ALLOC_SIZE
 * @param littleEndian CL_DEVICE_ENDIAN_LITTLE (the kernels read int32 biases little-endian)
 * @param compilerAvailable CL_DEVICE_COMPILER_AVAILABLE (false on FPGA boards: binaries only)
 */
public record ClDeviceInfo(int platformIndex, int deviceIndex, String platformName,
    String platformVersion, String deviceName, String deviceVendor, String deviceVersion,
    String driverVersion, String type, int computeUnits, long globalMemBytes, long maxAllocBytes,
    boolean littleEndian, boolean compilerAvailable, cl_platform_id platform,
    cl_device_id device) {

  /** "opencl:0:1". */
  public String spec() {
    return "opencl:" + platformIndex + ":" + deviceIndex;
  }

  /** One line: "opencl:0:0  CPU  pthread-haswell (Portable Computing Language, OpenCL 3.0 ...)". */
  public String summary() {
    return String.format(Locale.ROOT, "%s  %s  %s (%s; %s; driver %s; %d compute units, %d MiB,"
            + " max alloc %d MiB)", spec(), type, deviceName, platformName, deviceVersion,
        driverVersion, computeUnits, globalMemBytes >> 20, maxAllocBytes >> 20);
  }
}
