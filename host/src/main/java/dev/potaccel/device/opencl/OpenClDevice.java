package dev.potaccel.device.opencl;

import dev.potaccel.emulator.HostExecutor;
import dev.potaccel.protocol.pkg.AcceleratorPackage;
import dev.potaccel.protocol.pkg.PackageValidator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jocl.CL;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One OpenCL device opened for potaccel: a context and two in-order command queues with profiling
 * (one for the kernels, one for the input and output transfers, so that the upload of a batch can
 * run while the kernels of the one before it do), the bitstream manifest the device matches, and
 * the programs built or loaded on it (one per P_out for source builds). {@link #load} checks a
 * package against the manifest and the device, then puts its weights on the device ({@link
 * OpenClPackage}). Close it after the packages loaded on it; closing releases the queues, the
 * programs and the context. Not for concurrent use from
 * several threads except through {@link OpenClPackage#run}, which is synchronized.
 */
public final class OpenClDevice implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OpenClDevice.class);

  /**
   * Where an OpenCL device looks for things.
   *
   * @param bitstreamDir board binaries and manifests that override the bundled ones
   * @param cacheDir program cache for source builds (null: no cache)
   * @param manifest the manifest to use by name; null picks the first that matches the device
   */
  public record Options(Path bitstreamDir, Path cacheDir, String manifest) {
    /** The defaults: {@link #defaultBitstreamDir()}, {@link #defaultCacheDir()}, any manifest. */
    public static Options defaults() {
      return new Options(defaultBitstreamDir(), defaultCacheDir(), null);
    }

    public Options withCacheDir(Path dir) {
      return new Options(bitstreamDir, dir, manifest);
    }

    public Options withManifest(String name) {
      return new Options(bitstreamDir, cacheDir, name);
    }
  }

  /**
   * System property {@code potaccel.bitstreams}, else environment POTACCEL_BITSTREAMS, else
   * {@code ~/.local/share/potaccel/bitstreams}.
   */
  public static Path defaultBitstreamDir() {
    String s = System.getProperty("potaccel.bitstreams", System.getenv("POTACCEL_BITSTREAMS"));
    return s != null && !s.isBlank() ? Path.of(s)
        : Path.of(System.getProperty("user.home"), ".local", "share", "potaccel", "bitstreams");
  }

  /**
   * System property {@code potaccel.opencl.cache}, else POTACCEL_OPENCL_CACHE, else
   * {@code $XDG_CACHE_HOME/potaccel/opencl} ({@code ~/.cache/potaccel/opencl}).
   */
  public static Path defaultCacheDir() {
    String s = System.getProperty("potaccel.opencl.cache", System.getenv("POTACCEL_OPENCL_CACHE"));
    if (s != null && !s.isBlank()) {
      return Path.of(s);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
        : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("potaccel").resolve("opencl");
  }

  private final ClDeviceInfo info;
  private final BitstreamManifest manifest;
  private final Options options;
  private final cl_context context;
  private final cl_command_queue queue;
  private final cl_command_queue transferQueue;
  private final Map<Integer, ClProgram> programs = new HashMap<>();
  private boolean closed;

  private OpenClDevice(ClDeviceInfo info, BitstreamManifest manifest, Options options,
      cl_context context, cl_command_queue queue, cl_command_queue transferQueue) {
    this.info = info;
    this.manifest = manifest;
    this.options = options;
    this.context = context;
    this.queue = queue;
    this.transferQueue = transferQueue;
  }

  /** Every OpenCL device on this machine (empty without a platform). */
  public static List<ClDeviceInfo> devices() {
    return Cl.devices();
  }

  /**
   * Opens device {@code deviceIndex} of platform {@code platformIndex} with the manifest that
   * matches it.
   *
   * @throws OpenClException when there is no such platform or device (listing those there are),
   *     no manifest matches it (listing each manifest's differing fields), or an OpenCL call fails
   */
  public static OpenClDevice open(int platformIndex, int deviceIndex, Options options) {
    Objects.requireNonNull(options, "options");
    List<ClDeviceInfo> all = devices();
    if (all.isEmpty()) {
      throw new OpenClException("no OpenCL platform is installed: install one (Debian:"
          + " apt-get install pocl-opencl-icd ocl-icd-opencl-dev clinfo; `clinfo -l` lists"
          + " them)");
    }
    ClDeviceInfo info = all.stream()
        .filter(d -> d.platformIndex() == platformIndex && d.deviceIndex() == deviceIndex)
        .findFirst()
        .orElseThrow(() -> new OpenClException("no OpenCL device opencl:" + platformIndex + ":"
            + deviceIndex + "; devices: " + all.stream().map(d -> d.spec() + " '"
            + d.deviceName() + "' (" + d.platformName() + ")").collect(Collectors.joining(", "))));
    BitstreamManifest manifest = chooseManifest(info, options);
    int[] err = new int[1];
    cl_context ctx = CL.clCreateContext(null, 1, new cl_device_id[] {info.device()}, null, null,
        err);
    ClErrors.check(err[0], "clCreateContext(" + info.spec() + " '" + info.deviceName() + "')");
    @SuppressWarnings("deprecation") // clCreateCommandQueueWithProperties is OpenCL 2.0; boards are 1.2
    cl_command_queue q = CL.clCreateCommandQueue(ctx, info.device(),
        CL.CL_QUEUE_PROFILING_ENABLE, err);
    if (err[0] != 0) {
      CL.clReleaseContext(ctx);
      ClErrors.check(err[0], "clCreateCommandQueue(" + info.spec() + ", profiling)");
    }
    @SuppressWarnings("deprecation") // as above
    cl_command_queue tq = CL.clCreateCommandQueue(ctx, info.device(),
        CL.CL_QUEUE_PROFILING_ENABLE, err);
    if (err[0] != 0) {
      CL.clReleaseCommandQueue(q);
      CL.clReleaseContext(ctx);
      ClErrors.check(err[0], "clCreateCommandQueue(" + info.spec() + ", profiling, transfers)");
    }
    LOG.info("opened {} '{}' on '{}' with bitstream manifest {}", info.spec(), info.deviceName(),
        info.platformName(), manifest.name());
    return new OpenClDevice(info, manifest, options, ctx, q, tq);
  }

  /** The named manifest, or the first available one whose device checks pass. */
  static BitstreamManifest chooseManifest(ClDeviceInfo info, Options options) {
    List<BitstreamManifest> manifests = BitstreamManifest.available(options.bitstreamDir());
    if (options.manifest() != null) {
      BitstreamManifest m = manifests.stream().filter(x -> x.name().equals(options.manifest()))
          .findFirst()
          .orElseThrow(() -> new OpenClException("no bitstream manifest '" + options.manifest()
              + "'; manifests: " + manifests.stream().map(BitstreamManifest::name)
              .collect(Collectors.joining(", "))));
      List<String> diff = ManifestCheck.deviceMismatches(info, m);
      if (!diff.isEmpty()) {
        throw new OpenClException("bitstream '" + m.name() + "' is not for device "
            + info.spec() + ": " + String.join("; ", diff));
      }
      return m;
    }
    List<String> why = new ArrayList<>();
    for (BitstreamManifest m : manifests) {
      List<String> diff = ManifestCheck.deviceMismatches(info, m);
      if (diff.isEmpty()) {
        return m;
      }
      why.add(m.name() + ": " + String.join("; ", diff));
    }
    throw new OpenClException("no bitstream manifest matches device " + info.spec() + " '"
        + info.deviceName() + "' on platform '" + info.platformName() + "' ("
        + String.join(" | ", why) + "); add a manifest for it to " + options.bitstreamDir());
  }

  public ClDeviceInfo info() {
    return info;
  }

  public BitstreamManifest manifest() {
    return manifest;
  }

  cl_context context() {
    return context;
  }

  /** The queue the kernels run on (and the load's uploads, and HOST command transfers). */
  cl_command_queue queue() {
    return queue;
  }

  /** CL_DEVICE_MAX_WORK_GROUP_SIZE: the most work-items a conv work-group may have. */
  long maxWorkGroupSize() {
    return Cl.deviceLong(info.device(), CL.CL_DEVICE_MAX_WORK_GROUP_SIZE,
        "CL_DEVICE_MAX_WORK_GROUP_SIZE");
  }

  /** CL_DEVICE_LOCAL_MEM_SIZE: bounds a conv work-group's staged input window. */
  long localMemBytes() {
    return Cl.deviceLong(info.device(), CL.CL_DEVICE_LOCAL_MEM_SIZE, "CL_DEVICE_LOCAL_MEM_SIZE");
  }

  /** The queue for model input uploads and output downloads of runs. */
  cl_command_queue transferQueue() {
    return transferQueue;
  }

  /** The kernels for P_out {@code peOut}, built or loaded on first use. */
  synchronized ClProgram program(int peOut) {
    checkOpen();
    int key = manifest.fromSource() ? peOut : manifest.peCols();
    ClProgram p = programs.get(key);
    if (p == null) {
      p = ClProgram.load(context, info, manifest, key, options.cacheDir(),
          options.bitstreamDir());
      programs.put(key, p);
    }
    return p;
  }

  /**
   * Checks {@code pkg} against the manifest and puts it on the device: weights, biases,
   * codebooks and shifts uploaded once and resident, one kernel object per command.
   *
   * @param host runs the package's HOST commands (may be null for a package without any)
   * @throws dev.potaccel.protocol.pkg.PackageFormatException if the package breaks the contract
   * @throws OpenClException listing every field where the manifest does not meet the package's
   *     requirements, or when an OpenCL call fails
   */
  public OpenClPackage load(AcceleratorPackage pkg, HostExecutor host) {
    checkOpen();
    String model = pkg.getProvenance().getModelName();
    String source = "package '" + (model.isEmpty() ? "(unnamed)" : model) + "'";
    PackageValidator.validate(pkg, source);
    List<String> diff = ManifestCheck.packageMismatches(pkg, manifest);
    if (!diff.isEmpty()) {
      throw new OpenClException(source + " does not run on bitstream '" + manifest.name()
          + "' (" + manifest.source() + "): " + String.join("; ", diff));
    }
    return new OpenClPackage(this, pkg, source, host);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("OpenCL device " + info.spec() + " is closed");
    }
  }

  /** Releases the programs, the queues and the context; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      programs.values().forEach(ClProgram::close);
      CL.clReleaseCommandQueue(transferQueue);
      CL.clReleaseCommandQueue(queue);
    } finally {
      CL.clReleaseContext(context);
    }
    LOG.debug("closed OpenCL device {}", info.spec());
  }

  @Override
  public String toString() {
    return "OpenClDevice[" + info.spec() + " '" + info.deviceName() + "', " + manifest.name()
        + (closed ? ", closed]" : "]");
  }
}
