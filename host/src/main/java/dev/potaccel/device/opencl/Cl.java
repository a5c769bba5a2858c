package dev.potaccel.device.opencl;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * Thin checked access to JOCL: JOCL's own exceptions are switched off so that every failure is
 * reported by {@link ClErrors#check} with the call that failed and what it was doing. Also where
 * the OpenCL native library is loaded, once, with a readable error when it is absent.
 */
final class Cl {
  private static volatile boolean ready;

  private Cl() {}

  /**
   * Loads JOCL's JNI library and the OpenCL ICD loader; makes every JOCL call return its error
   * code.
   *
   * @throws OpenClException when there is no OpenCL runtime on this machine
   */
  static void init() {
    if (ready) {
      return;
    }
    synchronized (Cl.class) {
      if (ready) {
        return;
      }
      try {
        CL.setExceptionsEnabled(false);
      } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
        throw new OpenClException("cannot load the OpenCL runtime through JOCL: " + e.getMessage()
            + "; install an OpenCL ICD loader and a platform (Debian: apt-get install"
            + " ocl-icd-libopencl1 pocl-opencl-icd)", e);
      }
      ready = true;
    }
  }

  /** Every device of every platform, in index order; an empty list when there is no platform. */
  static List<ClDeviceInfo> devices() {
    init();
    int[] count = new int[1];
    int err = CL.clGetPlatformIDs(0, null, count);
    if (err == -1001 || (err == 0 && count[0] == 0)) {
      return List.of();
    }
    ClErrors.check(err, "clGetPlatformIDs");
    cl_platform_id[] platforms = new cl_platform_id[count[0]];
    ClErrors.check(CL.clGetPlatformIDs(platforms.length, platforms, null), "clGetPlatformIDs");
    List<ClDeviceInfo> out = new ArrayList<>();
    for (int p = 0; p < platforms.length; p++) {
      String pname = platformString(platforms[p], CL.CL_PLATFORM_NAME, "CL_PLATFORM_NAME");
      String pversion = platformString(platforms[p], CL.CL_PLATFORM_VERSION,
          "CL_PLATFORM_VERSION");
      int[] n = new int[1];
      err = CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, 0, null, n);
      if (err == CL.CL_DEVICE_NOT_FOUND) {
        continue;
      }
      ClErrors.check(err, "clGetDeviceIDs(platform " + p + " '" + pname + "')");
      cl_device_id[] devs = new cl_device_id[n[0]];
      ClErrors.check(CL.clGetDeviceIDs(platforms[p], CL.CL_DEVICE_TYPE_ALL, devs.length, devs,
          null), "clGetDeviceIDs(platform " + p + " '" + pname + "')");
      for (int d = 0; d < devs.length; d++) {
        cl_device_id dev = devs[d];
        out.add(new ClDeviceInfo(p, d, pname, pversion,
            deviceString(dev, CL.CL_DEVICE_NAME, "CL_DEVICE_NAME"),
            deviceString(dev, CL.CL_DEVICE_VENDOR, "CL_DEVICE_VENDOR"),
            deviceString(dev, CL.CL_DEVICE_VERSION, "CL_DEVICE_VERSION"),
            deviceString(dev, CL.CL_DRIVER_VERSION, "CL_DRIVER_VERSION"),
            type(deviceLong(dev, CL.CL_DEVICE_TYPE, "CL_DEVICE_TYPE")),
            deviceInt(dev, CL.CL_DEVICE_MAX_COMPUTE_UNITS, "CL_DEVICE_MAX_COMPUTE_UNITS"),
            deviceLong(dev, CL.CL_DEVICE_GLOBAL_MEM_SIZE, "CL_DEVICE_GLOBAL_MEM_SIZE"),
            deviceLong(dev, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE, "CL_DEVICE_MAX_MEM_ALLOC_SIZE"),
            deviceInt(dev, CL.CL_DEVICE_ENDIAN_LITTLE, "CL_DEVICE_ENDIAN_LITTLE") != 0,
            deviceInt(dev, CL.CL_DEVICE_COMPILER_AVAILABLE, "CL_DEVICE_COMPILER_AVAILABLE") != 0,
            platforms[p], dev));
      }
    }
    return out;
  }

  private static String type(long t) {
    if ((t & CL.CL_DEVICE_TYPE_ACCELERATOR) != 0) {
      return "ACCELERATOR";
    }
    if ((t & CL.CL_DEVICE_TYPE_GPU) != 0) {
      return "GPU";
    }
    if ((t & CL.CL_DEVICE_TYPE_CPU) != 0) {
      return "CPU";
    }
    return (t & CL.CL_DEVICE_TYPE_CUSTOM) != 0 ? "CUSTOM" : "DEFAULT";
  }

  static String platformString(cl_platform_id p, int param, String name) {
    long[] size = new long[1];
    ClErrors.check(CL.clGetPlatformInfo(p, param, 0, null, size), "clGetPlatformInfo(" + name
        + ")");
    byte[] buf = new byte[(int) size[0]];
    ClErrors.check(CL.clGetPlatformInfo(p, param, buf.length, Pointer.to(buf), null),
        "clGetPlatformInfo(" + name + ")");
    return cString(buf);
  }

  static String deviceString(cl_device_id d, int param, String name) {
    long[] size = new long[1];
    ClErrors.check(CL.clGetDeviceInfo(d, param, 0, null, size), "clGetDeviceInfo(" + name + ")");
    byte[] buf = new byte[(int) size[0]];
    ClErrors.check(CL.clGetDeviceInfo(d, param, buf.length, Pointer.to(buf), null),
        "clGetDeviceInfo(" + name + ")");
    return cString(buf);
  }

  static long deviceLong(cl_device_id d, int param, String name) {
    long[] v = new long[1];
    ClErrors.check(CL.clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null),
        "clGetDeviceInfo(" + name + ")");
    return v[0];
  }

  static int deviceInt(cl_device_id d, int param, String name) {
    int[] v = new int[1];
    ClErrors.check(CL.clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null),
        "clGetDeviceInfo(" + name + ")");
    return v[0];
  }

  static String cString(byte[] buf) {
    int n = 0;
    while (n < buf.length && buf[n] != 0) {
      n++;
    }
    return new String(buf, 0, n, StandardCharsets.UTF_8).strip();
  }
}
