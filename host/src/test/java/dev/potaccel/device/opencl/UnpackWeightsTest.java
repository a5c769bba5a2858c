package dev.potaccel.device.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.potaccel.protocol.pkg.WeightPacker;
import dev.potaccel.protocol.pkg.WeightTiling;
import java.util.Random;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kernels read the packed DMA layout (docs/accelerator.md §4) as the protocol module writes
 * it: random layers (shapes, 1 to 8 bits, P_out 1/3/4/16, bursts 1/16/64, the layer at an odd
 * offset inside a larger blob) are packed with {@link WeightPacker#pack}; the device's
 * unpack_weights must give exactly {@link WeightPacker#unpack}'s codes, and decode_weights_i /
 * decode_weights_f the same codes mapped through a random level table, in the [block][k][j]
 * order the conv kernels stream.
 */
class UnpackWeightsTest {
  private static final long SEED = 20261123L;
  private static OpenClDevice device;

  @BeforeAll
  static void open() {
    device = OpenClTesting.open();
  }

  @AfterAll
  static void close() {
    if (device != null) {
      device.close();
    }
  }

  @Test
  void unpackAndDecodeEqualWeightPackerOnRandomLayers() {
    Random rnd = new Random(SEED);
    int[] peOuts = {1, 3, 4, 16};
    int[] bursts = {1, 16, 64};
    for (int t = 0; t < 80; t++) {
      WeightTiling tiling = new WeightTiling(peOuts[rnd.nextInt(peOuts.length)],
          bursts[rnd.nextInt(bursts.length)]);
      int m = 1 + rnd.nextInt(40);
      int cg = 1 + rnd.nextInt(24);
      int kh = 1 + rnd.nextInt(3);
      int kw = 1 + rnd.nextInt(3);
      int bits = 1 + rnd.nextInt(8);
      int k = cg * kh * kw;
      int[] codes = new int[m * k];
      for (int i = 0; i < codes.length; i++) {
        codes[i] = rnd.nextInt(1 << bits);
      }
      byte[] layer = WeightPacker.pack(codes, m, cg, kh, kw, bits, tiling);
      int offset = rnd.nextInt(100);
      byte[] blob = new byte[offset + layer.length + rnd.nextInt(8)];
      rnd.nextBytes(blob); // whatever surrounds the layer must not leak into its codes
      System.arraycopy(layer, 0, blob, offset, layer.length);
      int stride = (int) WeightPacker.tileStride(cg, kh, kw, bits, tiling);
      String what = String.format("case %d (seed %d): M=%d CG=%d %dx%d, %d-bit, P_out %d, burst"
          + " %d, offset %d", t, SEED, m, cg, kh, kw, bits, tiling.peOut(), tiling.burstBytes(),
          offset);

      int[] want = WeightPacker.unpack(blob, offset, m, cg, kh, kw, bits, tiling);
      assertArrayEquals(codes, want, what + ": WeightPacker round trip");
      ClProgram program = device.program(tiling.peOut());
      try (Scratch s = new Scratch()) {
        cl_mem packed = s.upload(blob);
        cl_mem out = s.buffer(m * k);
        s.launch(program, "unpack_weights", m * k, new Object[] {packed, offset, stride, m, k,
            bits, out});
        byte[] got = new byte[m * k];
        s.read(out, got);
        int[] gotCodes = new int[got.length];
        for (int i = 0; i < got.length; i++) {
          gotCodes[i] = got[i] & 0xFF;
        }
        assertArrayEquals(want, gotCodes, what + ": unpack_weights");

        int[] levels = new int[1 << bits];
        for (int i = 0; i < levels.length; i++) {
          levels[i] = rnd.nextInt(1 << 20) - (1 << 19);
        }
        int mb = rnd.nextBoolean() ? 8 : 16;
        int blocks = (m + mb - 1) / mb;
        int total = blocks * k * mb;
        int[] expected = new int[total];
        for (int b = 0; b < blocks; b++) {
          for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < mb; j++) {
              int ch = b * mb + j;
              expected[(b * k + kk) * mb + j] = ch < m ? levels[want[ch * k + kk]] : 0;
            }
          }
        }
        cl_mem table = s.upload(levels);
        cl_mem decoded = s.buffer(4L * total);
        s.launch(program, "decode_weights_i", total, new Object[] {packed, offset, stride, m, k,
            bits, table, mb, total, decoded});
        int[] gotInts = new int[total];
        s.read(decoded, gotInts);
        assertArrayEquals(expected, gotInts, what + ": decode_weights_i, " + mb + " per block");
        s.launch(program, "decode_weights_f", total, new Object[] {packed, offset, stride, m, k,
            bits, table, mb, total, decoded});
        float[] gotFloats = new float[total];
        s.read(decoded, gotFloats);
        for (int i = 0; i < total; i++) {
          assertEquals((float) expected[i], gotFloats[i], what + ": decode_weights_f [" + i
              + "]");
        }
      }
    }
  }

  /** Buffers and kernels of one case, released at the end. */
  private static final class Scratch implements AutoCloseable {
    private final java.util.List<cl_mem> buffers = new java.util.ArrayList<>();

    cl_mem buffer(long bytes) {
      int[] err = new int[1];
      cl_mem m = CL.clCreateBuffer(device.context(), CL.CL_MEM_READ_WRITE, Math.max(4, bytes),
          null, err);
      ClErrors.check(err[0], "clCreateBuffer(" + bytes + " bytes)");
      buffers.add(m);
      return m;
    }

    cl_mem upload(byte[] data) {
      cl_mem m = buffer(data.length);
      ClErrors.check(CL.clEnqueueWriteBuffer(device.queue(), m, CL.CL_TRUE, 0, data.length,
          Pointer.to(data), 0, null, null), "clEnqueueWriteBuffer");
      return m;
    }

    cl_mem upload(int[] data) {
      cl_mem m = buffer(4L * data.length);
      ClErrors.check(CL.clEnqueueWriteBuffer(device.queue(), m, CL.CL_TRUE, 0, 4L * data.length,
          Pointer.to(data), 0, null, null), "clEnqueueWriteBuffer");
      return m;
    }

    void read(cl_mem m, byte[] into) {
      ClErrors.check(CL.clEnqueueReadBuffer(device.queue(), m, CL.CL_TRUE, 0, into.length,
          Pointer.to(into), 0, null, null), "clEnqueueReadBuffer");
    }

    void read(cl_mem m, int[] into) {
      ClErrors.check(CL.clEnqueueReadBuffer(device.queue(), m, CL.CL_TRUE, 0, 4L * into.length,
          Pointer.to(into), 0, null, null), "clEnqueueReadBuffer");
    }

    void read(cl_mem m, float[] into) {
      ClErrors.check(CL.clEnqueueReadBuffer(device.queue(), m, CL.CL_TRUE, 0, 4L * into.length,
          Pointer.to(into), 0, null, null), "clEnqueueReadBuffer");
    }

    /** Runs {@code name} over {@code items} work-items with {@code args} (cl_mem or Integer). */
    void launch(ClProgram program, String name, int items, Object[] args) {
      int[] err = new int[1];
      cl_kernel k = CL.clCreateKernel(program.program(), name, err);
      ClErrors.check(err[0], "clCreateKernel(" + name + ")");
      try {
        for (int i = 0; i < args.length; i++) {
          int e = args[i] instanceof cl_mem mem
              ? CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(mem))
              : CL.clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {(Integer) args[i]}));
          ClErrors.check(e, "clSetKernelArg(" + name + ", " + i + ")");
        }
        long global = (items + 63L) / 64 * 64;
        ClErrors.check(CL.clEnqueueNDRangeKernel(device.queue(), k, 1, null,
            new long[] {global}, new long[] {64}, 0, null, null), "clEnqueueNDRangeKernel("
            + name + ")");
        ClErrors.check(CL.clFinish(device.queue()), "clFinish");
      } finally {
        CL.clReleaseKernel(k);
      }
    }

    @Override
    public void close() {
      buffers.forEach(CL::clReleaseMemObject);
    }
  }
}
