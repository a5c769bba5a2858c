package dev.potaccel.protocol.pkg;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.potaccel.protocol.pkg.TileScheduler.BufferSizes;
import dev.potaccel.protocol.pkg.TileScheduler.ConvShape;
import dev.potaccel.protocol.pkg.TileScheduler.DoesNotFit;
import org.junit.jupiter.api.Test;

/**
 * Tile schedules (docs/accelerator.md §4.1) on the conv of {@link TestPackages#minimal}: input [2,
 * 4, 4] (32 bytes per image), output [3, 4, 4] (48 bytes), 3x3 pad 1, weights of 2 tiles of 32
 * bytes (the second one short: 1 channel). Sizes by hand.
 */
class TileSchedulerTest {
  private static final String CONV1 = "command 1 (conv 'conv1')";

  private static ConvShape shape() {
    AcceleratorPackage p = TestPackages.minimal();
    return ConvShape.of(p, p.getCommands(1).getConv(), TestPackages.TILING);
  }

  private static TileSchedule schedule(int tilesPerPass, int images, int rows) {
    return TileSchedule.newBuilder()
        .setWeightTilesPerPass(tilesPerPass)
        .setImagesPerTile(images)
        .setRowsPerBand(rows)
        .build();
  }

  /** The minimal package with buffer sizes in its requirements and {@code s} on its conv. */
  private static AcceleratorPackage scheduled(long weight, long activation, TileSchedule s) {
    AcceleratorPackage p = TestPackages.minimal();
    AcceleratorPackage.Builder b = p.toBuilder();
    b.getRequirementsBuilder().setWeightBufferBytes(weight).setActivationBufferBytes(activation);
    if (s != null) {
      b.getCommandsBuilder(1).getConvBuilder().setSchedule(s);
    }
    return b.build();
  }

  private static String invalid(AcceleratorPackage p) {
    return assertThrows(
            PackageFormatException.class, () -> PackageValidator.validate(p, "t.potpkg"))
        .getMessage();
  }

  @Test
  void bandBytesCountTheHaloRowsInsideTheImage() {
    ConvShape s = shape();
    assertEquals(32, s.inputBytes());
    assertEquals(48, s.outputBytes());
    // one output row reads up to 3 input rows (2 at the edges: pad rows are not stored)
    assertEquals(2 * 3 * 4 + 3 * 1 * 4, s.bandBytes(1));
    // bands [0, 2) and [2, 4) read input rows 0..2 and 1..3
    assertEquals(2 * 3 * 4 + 3 * 2 * 4, s.bandBytes(2));
    // bands [0, 3) and [3, 4) read rows 0..3 and 2..3
    assertEquals(2 * 4 * 4 + 3 * 3 * 4, s.bandBytes(3));
  }

  @Test
  void wholeLayerAndWholeImagesWhenTheyFit() {
    TileSchedule t = TileScheduler.plan(shape(), new BufferSizes(64, 200));
    assertEquals(schedule(2, 2, 0), t); // 64 B of weights fit; 200 / 80 = 2 images
    assertEquals(1, TileScheduler.passes(shape(), t));
    assertEquals(3, TileScheduler.activationTiles(shape(), t, 5));
    assertEquals(5 * 32, TileScheduler.inputBytes(shape(), t, 5));
    assertNull(TileScheduler.problem(shape(), t, new BufferSizes(64, 200)));
  }

  @Test
  void aLayerTooLargeIsSplitIntoWeightPassesAndRowBands() {
    // 63 B holds one 32-byte tile, not both; one image needs 80 B, bands of 2 rows 48 B, of 3 68 B
    TileSchedule t = TileScheduler.plan(shape(), new BufferSizes(63, 60));
    assertEquals(schedule(1, 0, 2), t);
    assertEquals(2, TileScheduler.passes(shape(), t));
    assertEquals(3 * 2, TileScheduler.activationTiles(shape(), t, 3)); // 2 bands per image
    // bands [0, 2) and [2, 4) read input rows 0..2 and 1..3: 6 rows of 2 x 4 codes per image
    assertEquals(3 * 6 * 8, TileScheduler.inputBytes(shape(), t, 3));
    assertNull(TileScheduler.problem(shape(), t, new BufferSizes(63, 60)));
    assertDoesNotThrow(() -> PackageValidator.validate(scheduled(63, 60, t), "t.potpkg"));
  }

  @Test
  void onlyAWeightTileOrARowBandThatCannotFitIsRefused() {
    DoesNotFit w =
        assertThrows(DoesNotFit.class, () -> TileScheduler.plan(shape(), new BufferSizes(31, 80)));
    assertEquals(
        "one weight tile of 2 output channels [3, 2, 3, 3] at 4 bits (peOut 2, burst 32) takes 32"
            + " bytes (18 of codes, aligned to the burst), more than the 31-byte weight buffer",
        w.getMessage());
    DoesNotFit a =
        assertThrows(DoesNotFit.class, () -> TileScheduler.plan(shape(), new BufferSizes(64, 35)));
    assertEquals(
        "one band of 1 output row (3 x 4 codes) and the 3 input rows it reads (2 x 4 codes each)"
            + " takes 36 bytes, more than the 35-byte activation buffer",
        a.getMessage());
  }

  @Test
  void theValidatorRefusesSchedulesThatDoNotFitTheRequirements() {
    String where = "t.potpkg: " + CONV1 + ": ";
    assertEquals(
        where
            + "schedule.weight_tiles_per_pass 2 loads 64 bytes of weights [3, 2, 3, 3] at 4 bits"
            + " (peOut 2, burst 32), more than requirements.weight_buffer_bytes 63",
        invalid(scheduled(63, 200, schedule(2, 2, 0))));
    assertEquals(
        where + "schedule.weight_tiles_per_pass is 3; the layer has 2 tiles, so it must be 1..2",
        invalid(scheduled(640, 200, schedule(3, 2, 0))));
    assertEquals(
        where
            + "schedule.images_per_tile 3 needs 3 x 80 bytes of input and output codes, more than"
            + " requirements.activation_buffer_bytes 200",
        invalid(scheduled(64, 200, schedule(2, 3, 0))));
    assertEquals(
        where
            + "schedule.rows_per_band 3 needs 68 bytes (input rows with halo and output rows),"
            + " more than requirements.activation_buffer_bytes 60",
        invalid(scheduled(64, 60, schedule(2, 0, 3))));
    assertEquals(
        where + "schedule.rows_per_band 5 exceeds the 4 output rows",
        invalid(scheduled(64, 6000, schedule(2, 0, 5))));
    assertEquals(
        where + "schedule has images_per_tile 1 and rows_per_band 2; exactly one must be set",
        invalid(scheduled(64, 200, schedule(2, 1, 2))));
    assertEquals(
        where
            + "has no schedule; requirements names the buffers (weight buffer 64 B, activation"
            + " buffer 200 B), so every conv needs a schedule that fits them",
        invalid(scheduled(64, 200, null)));
    assertEquals(
        where
            + "has a schedule, but requirements names no weight_buffer_bytes and"
            + " activation_buffer_bytes for it to fit",
        invalid(scheduled(0, 0, schedule(2, 2, 0))));
    assertEquals(
        "t.potpkg: requirements: weight_buffer_bytes 64 and activation_buffer_bytes 0 must both"
            + " be set (the buffers the schedules fit) or both be 0",
        invalid(scheduled(64, 0, schedule(2, 2, 0))));
    // a schedule the validator accepts survives the file format
    AcceleratorPackage ok = scheduled(64, 200, schedule(2, 2, 0));
    AcceleratorPackage back = PackageFile.fromBytes(PackageFile.toBytes(ok), "t.potpkg");
    assertEquals(schedule(2, 2, 0), back.getCommands(1).getConv().getSchedule());
    assertEquals(ok.getRequirements(), back.getRequirements());
  }
}
