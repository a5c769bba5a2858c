package dev.potaccel.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code --scheme} and {@code --bits} as the compile path reads them. */
class SchemeSpecTest {
  @Test
  void everyMethodRunsWithoutBits() {
    for (String m : SchemeSpec.METHODS) {
      SchemeSpec s = SchemeSpec.parse(m, null);
      assertEquals(SchemeSpec.DEFAULT_BITS.get(m), s.bits(), m);
      assertTrue(s.parameters().containsKey("activation_scale"), m);
    }
    assertEquals("upot4", SchemeSpec.parse("UPOT", null).id());
    assertEquals("lut4", SchemeSpec.parse("lut", null).id());
    assertEquals("ggd", SchemeSpec.parse("ggd", 8).id());
    assertEquals("ggd6", SchemeSpec.parse("ggd", 6).id());
  }

  @Test
  void theBaselinesKeepTheirProvenance() {
    assertEquals(QuantizationScheme.INT8.parameters(), SchemeSpec.parse("int8", null).parameters());
    assertEquals(QuantizationScheme.POT4.parameters(), SchemeSpec.parse("pot4", 4).parameters());
    assertEquals(QuantizationScheme.POT4, SchemeSpec.of(QuantizationScheme.POT4).baseline());
    assertNull(SchemeSpec.parse("apot4", null).baseline());
  }

  @Test
  void labelsCarryTheirWidth() {
    assertEquals(new SchemeSpec("upot", 3), SchemeSpec.parseLabel("upot3"));
    assertEquals(new SchemeSpec("lut", 2), SchemeSpec.parseLabel("lut2"));
    assertEquals(new SchemeSpec("apot4", 4), SchemeSpec.parseLabel("apot4"));
    assertEquals(new SchemeSpec("int8", 8), SchemeSpec.parseLabel("int8"));
  }

  @Test
  void badWidthsAndNamesAreRefusedWithTheRule() {
    assertEquals("upot takes --bits 2, 3 or 4, got 5",
        assertThrows(IllegalArgumentException.class, () -> SchemeSpec.parse("upot", 5))
            .getMessage());
    assertEquals("lut takes --bits 2..8, got 9",
        assertThrows(IllegalArgumentException.class, () -> SchemeSpec.parse("lut", 9))
            .getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SchemeSpec.parse("int8", 4))
        .getMessage().contains("int8 has a fixed code width of 8 bits"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> SchemeSpec.parse("fp16", null))
        .getMessage().startsWith("unknown scheme 'fp16'; valid schemes: int8, pot4, apot4"));
  }
}
