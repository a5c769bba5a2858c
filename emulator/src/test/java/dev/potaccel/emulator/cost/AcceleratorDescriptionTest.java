package dev.potaccel.emulator.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AcceleratorDescriptionTest {

  @Test
  void defaultIsA16x16ShiftArray() {
    AcceleratorDescription d = AcceleratorDescription.DEFAULT;
    assertEquals(16, d.peRows());
    assertEquals(16, d.peCols());
    assertEquals(PeType.SHIFT, d.peType());
    assertEquals(200.0, d.clockMhz());
    assertEquals(256 * 1024, d.weightBufferBytes());
    assertEquals(256 * 1024, d.activationBufferBytes());
    assertEquals(16.0, d.dmaBytesPerCycle());
    assertEquals(64, d.burstBytes());
    Resources r = Resources.of(d);
    assertEquals(256, r.pes());
    assertEquals(0, r.dsps());
    assertEquals(256 * 80, r.luts());
    // 256 KiB / 4 KiB = 64 blocks each; accumulators 16 KiB = 4 blocks (port 16 · 32 bits needs 8)
    assertEquals(64, r.bramWeights());
    assertEquals(64, r.bramActivations());
    assertEquals(8, r.bramAccumulators());
    assertEquals(136, r.bram36());
  }

  @Test
  void parsesKeyValueLinesAndCommas() {
    AcceleratorDescription d = AcceleratorDescription.parse(
        "# a multiplier board\n"
            + "name = zcu104-mult\n"
            + "PE-Rows=32, pe_cols = 32   # wide\n"
            + "pe_type = Multiplier\n"
            + "clock_mhz = 150.5\n"
            + "weight_buffer = 1MiB\n"
            + "activation_buffer = 512KiB\r\n"
            + "accumulator_buffer = 8192B\n"
            + "dma_bytes_per_cycle = 8\n"
            + "\n"
            + "burst_bytes = 128\n");
    assertEquals(new AcceleratorDescription("zcu104-mult", 32, 32, PeType.MULTIPLIER, 1, 150.5,
        1 << 20, 512 * 1024, 8192, 8.0, 128), d);
    // keys not given keep the base's values
    AcceleratorDescription k = AcceleratorDescription.parse("pe_type=shift_add_k,max_terms=3");
    assertEquals(PeType.SHIFT_ADD_K, k.peType());
    assertEquals(3, k.maxTerms());
    assertEquals(AcceleratorDescription.DEFAULT.clockMhz(), k.clockMhz());
    // round trip
    assertEquals(d, AcceleratorDescription.parse(d.toText()));
    assertEquals(AcceleratorDescription.DEFAULT,
        AcceleratorDescription.parse(AcceleratorDescription.DEFAULT.toText()));
    assertEquals(AcceleratorDescription.DEFAULT, AcceleratorDescription.parse(""));
  }

  @Test
  void parseErrorsNameTheEntry() {
    assertEquals("accelerator description line 2: unknown key 'pe_colz'; known keys: name, "
            + "pe_rows, pe_cols, pe_type, max_terms, clock_mhz, weight_buffer, activation_buffer, "
            + "accumulator_buffer, dma_bytes_per_cycle, burst_bytes",
        message("pe_rows = 8\npe_colz = 8"));
    assertEquals("accelerator description line 1: 'pe_rows 8' is not key = value",
        message("pe_rows 8"));
    assertEquals("accelerator description line 1: pe_rows given twice",
        message("pe_rows = 8, pe_rows = 16"));
    assertEquals("accelerator description: pe_rows must be an integer, got 'eight'",
        message("pe_rows = eight"));
    assertEquals("accelerator description: weight_buffer must be a size in bytes (optionally with"
        + " KiB or MiB), got '2GB'", message("weight_buffer = 2GB"));
    assertEquals("unknown PE type 'adder'; expected multiplier, shift or shift_add_k",
        message("pe_type = adder"));
    assertEquals("accelerator description line 1: clock_mhz has no value", message("clock_mhz="));
  }

  @Test
  void constructorRefusesImpossibleAccelerators() {
    assertEquals("accelerator description 'default': max_terms must be 2..3 for shift_add_k PEs"
        + " (k <= 3, docs/accelerator.md §2; use shift for one term), got 1",
        message("pe_type = shift_add_k"));
    assertEquals("accelerator description 'default': max_terms must be 1 for multiplier PEs, got 2",
        message("pe_type = multiplier, max_terms = 2"));
    String all = message("pe_rows = 0, clock_mhz = -1, dma_bytes_per_cycle = 0, burst_bytes = 0,"
        + " weight_buffer = 0, activation_buffer = 0");
    for (String field : new String[] {"pe_rows", "clock_mhz", "dma_bytes_per_cycle",
        "burst_bytes", "weight_buffer", "activation_buffer"}) {
      assertTrue(all.contains(field + " must"), all);
    }
    assertEquals("accelerator description 'default': accumulator_buffer must hold one int32 per PE"
        + " (4096 bytes), got 2048", message("pe_rows = 32, pe_cols = 32, accumulator_buffer = 2KiB"));
    assertThrows(IllegalArgumentException.class, () -> new AcceleratorDescription(" ", 1, 1,
        PeType.SHIFT, 1, 1, 1, 1, 4, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new AcceleratorDescription("x", 1, 1,
        PeType.SHIFT, 1, Double.NaN, 1, 1, 4, 1, 1));
  }

  @Test
  void summaryAndEnergyTableNameTheirSources() {
    assertEquals("'default': 16x16 SHIFT PEs, 200 MHz, buffers: weights 256KiB, activations"
        + " 256KiB, accumulators 16KiB; DMA 16 B/cycle, 64 B bursts",
        AcceleratorDescription.DEFAULT.summary());
    String e = EnergyTable.HOROWITZ_45NM.describe();
    assertTrue(e.startsWith("45 nm: 8-bit add 0.03 pJ, 16-bit add 0.05, 32-bit add 0.1, 8-bit mult"
        + " 0.2, 32-bit mult 3.1, 32-bit SRAM 5, 32-bit DRAM 640, shift 0.1"), e);
    assertTrue(e.contains("Horowitz"), e);
    assertTrue(e.contains("ISSCC 2014"), e);
    assertTrue(e.contains("assumption"), e);
    assertEquals(0.3, EnergyTable.HOROWITZ_45NM.macPj(PeType.MULTIPLIER, 0), 1e-12);
    assertEquals(0.2, EnergyTable.HOROWITZ_45NM.macPj(PeType.SHIFT, 1), 1e-12);
    assertEquals(0.6, EnergyTable.HOROWITZ_45NM.macPj(PeType.SHIFT_ADD_K, 3), 1e-12);
    assertEquals(160.0, EnergyTable.HOROWITZ_45NM.dramPjPerByte(), 1e-12);
    assertEquals(1.25, EnergyTable.HOROWITZ_45NM.sramPjPerByte(), 1e-12);
  }

  private static String message(String text) {
    return assertThrows(IllegalArgumentException.class,
        () -> AcceleratorDescription.parse(text)).getMessage();
  }
}
