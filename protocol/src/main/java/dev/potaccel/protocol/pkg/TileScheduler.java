package dev.potaccel.protocol.pkg;

/**
 * Tile schedules of docs/accelerator.md §4.1: how a CONV is cut so that its pieces fit the
 * on-chip weight and activation buffers. Weights are loaded in passes of whole output-channel
 * tiles (§4); the batch is cut into activation tiles of whole images, or, when one image's input
 * and output codes do not fit together, each image into bands of output rows with the input rows
 * they read (the halo). A layer too large for the buffers is split, never refused: only a single
 * weight tile or a single one-row band that does not fit is an error ({@link DoesNotFit}).
 *
 * <p>In the protocol module because three parties must agree on it: the compiler {@link #plan}s
 * and records schedules, {@link PackageValidator} checks recorded ones ({@link #problem}), and the
 * cost model counts fetches and halo bytes from them ({@link #activationTiles}, {@link
 * #inputBytes}).
 */
public final class TileScheduler {
  private TileScheduler() {}

  /**
   * The on-chip buffers a schedule must fit (a target manifest's, or the description's standing for
   * it).
   *
   * @param weightBytes the weight buffer, >= 1
   * @param activationBytes the activation buffer (a tile's input and output codes), >= 1
   */
  public record BufferSizes(long weightBytes, long activationBytes) {
    public BufferSizes {
      if (weightBytes < 1 || activationBytes < 1) {
        throw new IllegalArgumentException(
            "buffer sizes must be >= 1 byte, got weight "
                + weightBytes
                + " and activation "
                + activationBytes);
      }
    }

    /**
     * The sizes {@code requirements} names, or null when it names none (a package without
     * schedules).
     */
    public static BufferSizes of(Requirements r) {
      if (r.getWeightBufferBytes() == 0 && r.getActivationBufferBytes() == 0) {
        return null;
      }
      return new BufferSizes(r.getWeightBufferBytes(), r.getActivationBufferBytes());
    }

    /** "weight buffer 8192 B, activation buffer 4096 B". */
    @Override
    public String toString() {
      return "weight buffer " + weightBytes + " B, activation buffer " + activationBytes + " B";
    }
  }

  /**
   * What a schedule depends on: the conv's input {@code [C, H, W]} and output {@code [M, OH, OW]}
   * per image (a rank-1 {@code [K]} is {@code [K, 1, 1]}), its vertical window, and its weight
   * layout.
   */
  public record ConvShape(
      long channels,
      long height,
      long width,
      long outChannels,
      long outHeight,
      long outWidth,
      int kernelH,
      int strideH,
      int dilationH,
      int padTop,
      WeightLayout weights) {

    /** The shape of {@code conv} reading {@code in} and writing {@code out}, its weights tiled so. */
    public static ConvShape of(
        Buffer in, Buffer out, ConvCommandOrBuilder conv, int bits, WeightTiling tiling) {
      long[] x = chw(in);
      long[] y = chw(out);
      int cg = (int) (x[0] / conv.getGroups());
      return new ConvShape(
          x[0],
          x[1],
          x[2],
          y[0],
          y[1],
          y[2],
          conv.getKernelH(),
          conv.getStrideH(),
          conv.getDilationH(),
          conv.getPadTop(),
          new WeightLayout(
              conv.getOutChannels(), cg, conv.getKernelH(), conv.getKernelW(), bits, tiling));
    }

    /** {@link #of(Buffer, Buffer, ConvCommandOrBuilder, int, WeightTiling)} within a package. */
    public static ConvShape of(AcceleratorPackage p, ConvCommandOrBuilder conv, WeightTiling t) {
      return of(
          p.getBuffers(conv.getInput()),
          p.getBuffers(conv.getOutput()),
          conv,
          p.getCodebooks(conv.getCodebook()).getBits(),
          t);
    }

    /** Input codes of one image, one byte each (§1.1). */
    public long inputBytes() {
      return channels * height * width;
    }

    /** Output codes of one image. */
    public long outputBytes() {
      return outChannels * outHeight * outWidth;
    }

    /** Input rows (inside the image; padding rows are not stored) that output rows [oy0, oy1) read. */
    long inputRows(long oy0, long oy1) {
      long first = oy0 * strideH - padTop;
      long last = (oy1 - 1) * strideH - padTop + (long) (kernelH - 1) * dilationH;
      return Math.max(0, Math.min(last, height - 1) - Math.max(first, 0) + 1);
    }

    /** The most input rows any band of {@code rows} output rows reads. */
    long maxBandInputRows(long rows) {
      long most = 0;
      for (long oy = 0; oy < outHeight; oy += rows) {
        most = Math.max(most, inputRows(oy, Math.min(outHeight, oy + rows)));
      }
      return most;
    }

    /** Activation buffer bytes of the largest band of {@code rows} output rows: inputs + outputs. */
    public long bandBytes(long rows) {
      return channels * maxBandInputRows(rows) * width + outChannels * rows * outWidth;
    }
  }

  /**
   * Not even one weight tile, or one band of one output row, fits its buffer. The message names
   * the sizes and the buffer; callers prefix the layer.
   */
  public static final class DoesNotFit extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    DoesNotFit(String message) {
      super(message);
    }
  }

  /**
   * The schedule that loads as many weight tiles per pass and as many images (or output rows) per
   * activation tile as the buffers hold: all tiles when the packed layer fits the weight buffer,
   * else {@code floor(buffer / tile stride)}; whole images when one image's input and output codes
   * fit together, else the tallest band of output rows whose codes, halo included, fit.
   *
   * @throws DoesNotFit if one weight tile (codes and burst gap) exceeds the weight buffer, or a
   *     one-row band exceeds the activation buffer
   */
  public static TileSchedule plan(ConvShape s, BufferSizes b) {
    WeightLayout w = s.weights();
    int tilesPerPass;
    if (w.packedSize() <= b.weightBytes()) {
      tilesPerPass = w.tiles();
    } else if (w.stride(0) <= b.weightBytes()) {
      tilesPerPass = (int) Math.min(w.tiles(), b.weightBytes() / w.stride(0));
    } else {
      throw new DoesNotFit(
          "one weight tile of "
              + w.width(0)
              + " output channels "
              + w
              + " takes "
              + w.stride(0)
              + " bytes ("
              + w.dataBytes(0)
              + " of codes, aligned to the burst), more than the "
              + b.weightBytes()
              + "-byte weight buffer");
    }
    TileSchedule.Builder t = TileSchedule.newBuilder().setWeightTilesPerPass(tilesPerPass);
    long perImage = s.inputBytes() + s.outputBytes();
    if (perImage <= b.activationBytes()) {
      return t.setImagesPerTile((int) Math.min(Integer.MAX_VALUE, b.activationBytes() / perImage))
          .build();
    }
    if (s.bandBytes(1) > b.activationBytes()) {
      throw new DoesNotFit(
          "one band of 1 output row ("
              + s.outChannels()
              + " x "
              + s.outWidth()
              + " codes) and the "
              + s.maxBandInputRows(1)
              + " input rows it reads ("
              + s.channels()
              + " x "
              + s.width()
              + " codes each) takes "
              + s.bandBytes(1)
              + " bytes, more than the "
              + b.activationBytes()
              + "-byte activation buffer");
    }
    // every height, not a binary search: a taller band can read fewer clipped halo rows at the
    // image's edge, so the bytes are not monotone in the rows (O(OH log OH) band sizes)
    long best = 1;
    for (long rows = 2; rows <= s.outHeight(); rows++) {
      if (s.bandBytes(rows) <= b.activationBytes()) {
        best = rows;
      }
    }
    return t.setRowsPerBand((int) best).build();
  }

  /**
   * Why {@code t} does not fit {@code b} for {@code s}, or null if it does: a pass must hold 1 to
   * all of the layer's tiles and its bytes must fit the weight buffer; exactly one of {@code
   * images_per_tile} and {@code rows_per_band} is set, and those images, or the largest band of
   * those rows with its halo, fit the activation buffer.
   */
  public static String problem(ConvShape s, TileSchedule t, BufferSizes b) {
    WeightLayout w = s.weights();
    long k = Integer.toUnsignedLong(t.getWeightTilesPerPass());
    if (k < 1 || k > w.tiles()) {
      return "schedule.weight_tiles_per_pass is "
          + k
          + "; the layer has "
          + w.tiles()
          + (w.tiles() == 1 ? " tile" : " tiles")
          + ", so it must be 1.."
          + w.tiles();
    }
    long pass = w.bytesOfTiles(0, (int) k); // the first pass is the largest: full tiles
    if (pass > b.weightBytes()) {
      return "schedule.weight_tiles_per_pass "
          + k
          + " loads "
          + pass
          + " bytes of weights "
          + w
          + ", more than requirements.weight_buffer_bytes "
          + b.weightBytes();
    }
    long images = Integer.toUnsignedLong(t.getImagesPerTile());
    long rows = Integer.toUnsignedLong(t.getRowsPerBand());
    if ((images == 0) == (rows == 0)) {
      return "schedule has images_per_tile "
          + images
          + " and rows_per_band "
          + rows
          + "; exactly one must be set";
    }
    long perImage = s.inputBytes() + s.outputBytes();
    if (images > 0 && images * perImage > b.activationBytes()) {
      return "schedule.images_per_tile "
          + images
          + " needs "
          + images
          + " x "
          + perImage
          + " bytes of input and output codes, more than requirements.activation_buffer_bytes "
          + b.activationBytes();
    }
    if (rows > s.outHeight()) {
      return "schedule.rows_per_band " + rows + " exceeds the " + s.outHeight() + " output rows";
    }
    if (rows > 0 && s.bandBytes(rows) > b.activationBytes()) {
      return "schedule.rows_per_band "
          + rows
          + " needs "
          + s.bandBytes(rows)
          + " bytes (input rows with halo and output rows), more than"
          + " requirements.activation_buffer_bytes "
          + b.activationBytes();
    }
    return null;
  }

  /** Weight passes per activation tile: {@code ceil(tiles / weight_tiles_per_pass)}. */
  public static long passes(ConvShape s, TileSchedule t) {
    long k = t.getWeightTilesPerPass();
    return (s.weights().tiles() + k - 1) / k;
  }

  /**
   * Activation tiles a batch of {@code batch} images is cut into: {@code ceil(batch /
   * images_per_tile)}, or {@code batch · ceil(OH / rows_per_band)} bands.
   */
  public static long activationTiles(ConvShape s, TileSchedule t, long batch) {
    if (t.getImagesPerTile() > 0) {
      long per = Integer.toUnsignedLong(t.getImagesPerTile());
      return (batch + per - 1) / per;
    }
    long rows = t.getRowsPerBand();
    return Math.multiplyExact(batch, (s.outHeight() + rows - 1) / rows);
  }

  /**
   * Input code bytes loaded for a batch: every image once with whole-image tiles; with bands, each
   * band's input rows, so rows in two bands' halo are loaded twice.
   */
  public static long inputBytes(ConvShape s, TileSchedule t, long batch) {
    if (t.getImagesPerTile() > 0) {
      return Math.multiplyExact(batch, s.inputBytes());
    }
    long rows = t.getRowsPerBand();
    long inputRows = 0;
    for (long oy = 0; oy < s.outHeight(); oy += rows) {
      inputRows += s.inputRows(oy, Math.min(s.outHeight(), oy + rows));
    }
    return Math.multiplyExact(batch, inputRows * s.channels() * s.width());
  }

  private static long[] chw(Buffer b) {
    if (b.getShapeCount() == 1) {
      return new long[] {Integer.toUnsignedLong(b.getShape(0)), 1, 1};
    }
    return new long[] {
      Integer.toUnsignedLong(b.getShape(0)),
      Integer.toUnsignedLong(b.getShape(1)),
      Integer.toUnsignedLong(b.getShape(2))
    };
  }
}
