package dev.potaccel.device.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_program;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernels on one device, ready to launch, and how they got there: built from the kernels-cl
 * sources (a {@code "source"} manifest, PoCL), loaded from the program cache (a binary an earlier
 * source build stored), or loaded from a board's bitstream binary after its SHA-256 was checked
 * against the manifest.
 *
 * <p>Why a cache: PoCL compiles OpenCL C with LLVM at first use, seconds per program; the binary
 * it returns through CL_PROGRAM_BINARIES loads in milliseconds with clCreateProgramWithBinary.
 * The cache key is the SHA-256 of the kernel source, the build options and the platform, device
 * and driver versions, so any change rebuilds; a cached binary the driver refuses is rebuilt and
 * replaced.
 */
final class ClProgram implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClProgram.class);

  /** The kernel sources in the kernels-cl jar. */
  static final String SOURCE_RESOURCE = "/dev/potaccel/kernels/potaccel.cl";

  /** How the program was obtained. */
  enum Origin {
    SOURCE("built from source"),
    CACHE("loaded from the program cache"),
    BITSTREAM("loaded from the bitstream binary");

    final String text;

    Origin(String text) {
      this.text = text;
    }
  }

  private final cl_program program;
  private final Origin origin;
  private final long loadNanos;
  private final Path file;
  private final String options;
  private boolean released;

  private ClProgram(cl_program program, Origin origin, long loadNanos, Path file,
      String options) {
    this.program = program;
    this.origin = origin;
    this.loadNanos = loadNanos;
    this.file = file;
    this.options = options;
  }

  cl_program program() {
    return program;
  }

  Origin origin() {
    return origin;
  }

  /** Wall time from reading the source or binary to a built program. */
  long loadNanos() {
    return loadNanos;
  }

  /** The cache file or bitstream binary, null for a source build without cache. */
  Path file() {
    return file;
  }

  String options() {
    return options;
  }

  /** The kernels-cl source text. */
  static String kernelSource() {
    try (InputStream in = ClProgram.class.getResourceAsStream(SOURCE_RESOURCE)) {
      if (in == null) {
        throw new OpenClException("classpath resource " + SOURCE_RESOURCE + " is missing: the"
            + " potaccel-kernels-cl jar is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new OpenClException("cannot read " + SOURCE_RESOURCE + ": " + e.getMessage(), e);
    }
  }

  /** The -D options a build of {@code m} for P_out {@code peOut} uses. */
  static String buildOptions(BitstreamManifest m, int peOut) {
    StringBuilder sb = new StringBuilder("-cl-std=CL1.2");
    Map<String, String> defines = new java.util.TreeMap<>(m.defines());
    defines.put("PE_OUT", Integer.toString(peOut));
    for (Map.Entry<String, String> e : defines.entrySet()) {
      sb.append(" -D").append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString();
  }

  /**
   * Builds or loads the kernels for {@code m} on {@code dev}.
   *
   * @param peOut P_out of the package (a source build is compiled for it)
   * @param cacheDir where source builds store their binaries; null disables the cache
   * @param bitstreamDir where board binaries are looked for
   * @throws OpenClException naming the missing binary file and how to build it, a SHA-256
   *     mismatch, or a failed build with its log
   */
  static ClProgram load(cl_context ctx, ClDeviceInfo dev, BitstreamManifest m, int peOut,
      Path cacheDir, Path bitstreamDir) {
    if (!m.fromSource()) {
      return loadBitstream(ctx, dev, m, bitstreamDir);
    }
    String source = kernelSource();
    String options = buildOptions(m, peOut);
    Path cached = null;
    if (cacheDir != null) {
      String key = sha256((source + "\0" + options + "\0" + dev.platformName() + "\0"
          + dev.platformVersion() + "\0" + dev.deviceName() + "\0" + dev.deviceVersion() + "\0"
          + dev.driverVersion()).getBytes(StandardCharsets.UTF_8));
      cached = cacheDir.resolve(m.name() + "-" + key.substring(0, 24) + ".bin");
      if (Files.isRegularFile(cached)) {
        long start = System.nanoTime();
        try {
          byte[] binary = Files.readAllBytes(cached);
          cl_program p = fromBinary(ctx, dev, binary, "program cache file " + cached, options);
          long t = System.nanoTime() - start;
          LOG.info("OpenCL kernels for {} loaded from the program cache {} in {} ms", dev.spec(),
              cached, t / 1_000_000);
          return new ClProgram(p, Origin.CACHE, t, cached, options);
        } catch (IOException | OpenClException e) {
          LOG.warn("program cache file {} is unusable ({}); rebuilding from source", cached,
              e.getMessage());
        }
      }
    }
    long start = System.nanoTime();
    int[] err = new int[1];
    cl_program p = CL.clCreateProgramWithSource(ctx, 1, new String[] {source}, null, err);
    ClErrors.check(err[0], "clCreateProgramWithSource(" + SOURCE_RESOURCE + ")");
    build(p, dev, options, SOURCE_RESOURCE);
    long built = System.nanoTime() - start;
    if (cached != null) {
      store(p, cached); // PoCL compiles every kernel to native code here: part of the build cost
    }
    long t = System.nanoTime() - start;
    LOG.info("OpenCL kernels for {} built from source in {} ms, {} ms of it storing the binary"
        + " ({})", dev.spec(), t / 1_000_000, (t - built) / 1_000_000, options);
    return new ClProgram(p, Origin.SOURCE, t, cached, options);
  }

  private static ClProgram loadBitstream(cl_context ctx, ClDeviceInfo dev, BitstreamManifest m,
      Path dir) {
    Path file = dir.resolve(m.binaryFile());
    if (!Files.isRegularFile(file)) {
      throw new OpenClException("bitstream '" + m.name() + "' (" + m.board() + ") needs the"
          + " binary " + file.toAbsolutePath() + ", which does not exist. Build it from"
          + " kernels-cl with: " + m.buildCommand() + " (kernels-cl/README.md), copy it to "
          + dir.toAbsolutePath() + " (or set POTACCEL_BITSTREAMS) and record its sha256 in a"
          + " copy of the manifest there, " + dir.resolve(m.name() + ".json"));
    }
    byte[] binary;
    try {
      binary = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new OpenClException(file + ": cannot read bitstream binary: " + e.getMessage(), e);
    }
    String actual = sha256(binary);
    if ("unrecorded".equals(m.sha256())) {
      throw new OpenClException("bitstream '" + m.name() + "' (" + m.source() + ") has no"
          + " recorded sha256 for " + file + "; after building it, set binary.sha256 to "
          + actual + " in " + dir.resolve(m.name() + ".json") + " if you built this file");
    }
    if (!actual.equals(m.sha256())) {
      throw new OpenClException(file + ": sha256 " + actual + " differs from the "
          + m.sha256() + " that bitstream manifest '" + m.name() + "' (" + m.source()
          + ") records: the binary is corrupt or from another build");
    }
    long start = System.nanoTime();
    cl_program p = fromBinary(ctx, dev, binary, "bitstream binary " + file, "");
    return new ClProgram(p, Origin.BITSTREAM, System.nanoTime() - start, file, "");
  }

  private static cl_program fromBinary(cl_context ctx, ClDeviceInfo dev, byte[] binary,
      String what, String options) {
    int[] status = new int[1];
    int[] err = new int[1];
    cl_program p = CL.clCreateProgramWithBinary(ctx, 1, new cl_device_id[] {dev.device()},
        new long[] {binary.length}, new byte[][] {binary}, status, err);
    ClErrors.check(err[0], "clCreateProgramWithBinary(" + what + ")");
    try {
      ClErrors.check(status[0], "clCreateProgramWithBinary(" + what + ") binary status");
      build(p, dev, options, what);
    } catch (OpenClException e) {
      CL.clReleaseProgram(p);
      throw e;
    }
    return p;
  }

  /** clBuildProgram; on failure the message carries the build log. */
  private static void build(cl_program p, ClDeviceInfo dev, String options, String what) {
    int err = CL.clBuildProgram(p, 1, new cl_device_id[] {dev.device()}, options, null, null);
    if (err != 0) {
      String log = buildLog(p, dev);
      CL.clReleaseProgram(p);
      throw new OpenClException("clBuildProgram(" + what + ", \"" + options + "\") on "
          + dev.spec() + " '" + dev.deviceName() + "' failed: " + ClErrors.describe(err)
          + (log.isBlank() ? "" : "\nbuild log:\n" + log.strip()), err, null);
    }
  }

  static String buildLog(cl_program p, ClDeviceInfo dev) {
    long[] size = new long[1];
    if (CL.clGetProgramBuildInfo(p, dev.device(), CL.CL_PROGRAM_BUILD_LOG, 0, null, size) != 0
        || size[0] <= 0) {
      return "";
    }
    byte[] buf = new byte[(int) size[0]];
    CL.clGetProgramBuildInfo(p, dev.device(), CL.CL_PROGRAM_BUILD_LOG, buf.length,
        Pointer.to(buf), null);
    return Cl.cString(buf);
  }

  /** Writes the program's binary to {@code file} atomically; a failure only costs a rebuild. */
  private static void store(cl_program p, Path file) {
    try {
      long[] sizes = new long[1];
      ClErrors.check(CL.clGetProgramInfo(p, CL.CL_PROGRAM_BINARY_SIZES, Sizeof.size_t,
          Pointer.to(sizes), null), "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)");
      if (sizes[0] <= 0) {
        LOG.info("the OpenCL driver returns no program binary; nothing cached");
        return;
      }
      byte[] binary = new byte[(int) sizes[0]];
      Pointer target = Pointer.to(binary);
      ClErrors.check(CL.clGetProgramInfo(p, CL.CL_PROGRAM_BINARIES, Sizeof.POINTER,
          Pointer.to(target), null), "clGetProgramInfo(CL_PROGRAM_BINARIES)");
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
      Files.write(tmp, binary);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      LOG.info("cached the OpenCL program binary ({} bytes) in {}", binary.length, file);
    } catch (IOException | OpenClException e) {
      LOG.warn("cannot cache the OpenCL program binary in {}: {}", file, e.getMessage());
    }
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  @Override
  public synchronized void close() {
    if (!released) {
      released = true;
      CL.clReleaseProgram(program);
    }
  }
}
