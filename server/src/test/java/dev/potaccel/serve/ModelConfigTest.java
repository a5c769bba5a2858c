package dev.potaccel.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.device.session.InferenceSession.Device;
import dev.potaccel.quantize.SchemeSpec;
import org.junit.jupiter.api.Test;

/** {@code config.json}'s scheme takes every name {@code potaccel compile --scheme} takes. */
class ModelConfigTest {
  private static final ModelConfig DEFAULTS = ModelConfig.defaults(Device.EMULATOR);

  private static SchemeSpec scheme(String json) {
    return ModelConfig.parse(json, "repo/m/config.json", DEFAULTS).scheme();
  }

  @Test
  void everyCompileMethodButDoubleQExtIsAccepted() {
    for (String method : SchemeSpec.METHODS) {
      if (method.equals("doubleqext")) {
        continue;
      }
      SchemeSpec s = scheme("{\"scheme\": \"" + method + "\"}");
      assertEquals(method, s.method());
      assertEquals((int) SchemeSpec.DEFAULT_BITS.get(method), s.bits(), method);
    }
  }

  @Test
  void widthsAsLabelOrBitsKey() {
    assertEquals(new SchemeSpec("upot", 3), scheme("{\"scheme\": \"upot3\"}"));
    assertEquals(new SchemeSpec("lut", 3), scheme("{\"scheme\": \"lut\", \"bits\": 3}"));
    assertEquals(new SchemeSpec("ggd", 6), scheme("{\"scheme\": \"GGD6\"}"));
    assertEquals(new SchemeSpec("int8", 8), scheme("{\"threads\": 1}"));
  }

  @Test
  void badSchemesNameTheFileAndWhatIsValid() {
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> scheme("{\"scheme\": \"int4\"}"));
    assertTrue(unknown.getMessage().startsWith("repo/m/config.json: 'scheme': unknown scheme"
        + " 'int4'"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("kalali"), unknown.getMessage());
    IllegalArgumentException bits = assertThrows(IllegalArgumentException.class,
        () -> scheme("{\"scheme\": \"upot\", \"bits\": 5}"));
    assertTrue(bits.getMessage().contains("upot takes --bits 2, 3 or 4, got 5"),
        bits.getMessage());
    IllegalArgumentException dqx = assertThrows(IllegalArgumentException.class,
        () -> scheme("{\"scheme\": \"doubleqext\"}"));
    assertTrue(dqx.getMessage().startsWith("repo/m/config.json: scheme doubleqext chooses"),
        dqx.getMessage());
    assertTrue(dqx.getMessage().contains("potaccel compile --scheme doubleqext"),
        dqx.getMessage());
    IllegalArgumentException alone = assertThrows(IllegalArgumentException.class,
        () -> scheme("{\"bits\": 3}"));
    assertEquals("repo/m/config.json: 'bits' needs a 'scheme'", alone.getMessage());
  }
}
