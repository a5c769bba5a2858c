package dev.potaccel.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.potaccel.device.DeviceSpec;
import dev.potaccel.device.pool.DevicePool;
import dev.potaccel.quantize.SchemeSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code config.json}'s scheme takes every name {@code potaccel compile --scheme} takes. */
class ModelConfigTest {
  private static final ModelConfig DEFAULTS = ModelConfig.defaults(DeviceSpec.EMULATOR);

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
  void devicesAsOneAListOrACommaString() {
    ModelConfig one = ModelConfig.parse("{\"device\": \"opencl:0:1\"}", "c.json", DEFAULTS);
    assertEquals(List.of(DeviceSpec.parse("opencl:0:1")), one.devices());
    ModelConfig list = ModelConfig.parse("{\"devices\": [\"emulator\", \"opencl\"],"
        + " \"pool_mode\": \"Pipeline\"}", "c.json", DEFAULTS);
    assertEquals(List.of(DeviceSpec.EMULATOR, DeviceSpec.parse("opencl")), list.devices());
    assertEquals(DevicePool.Mode.PIPELINE, list.poolMode());
    assertEquals("emulator,opencl:0:0", list.deviceList());
    ModelConfig text = ModelConfig.parse("{\"devices\": \"emulator,emulator\"}", "c.json",
        DEFAULTS);
    assertEquals(List.of(DeviceSpec.EMULATOR, DeviceSpec.EMULATOR), text.devices());
    assertEquals(DevicePool.Mode.DATA_PARALLEL, text.poolMode());
    assertEquals(DEFAULTS.devices(), ModelConfig.parse("{}", "c.json", DEFAULTS).devices());
  }

  @Test
  void badDevicesNameTheFileAndWhatIsValid() {
    for (String[] c : new String[][] {
        {"{\"device\": \"emulator\", \"devices\": [\"emulator\"]}", "not both"},
        {"{\"devices\": []}", "'devices' must be a non-empty list"},
        {"{\"devices\": [1]}", "'devices' entries must be strings"},
        {"{\"devices\": \"emulator,gpu\"}", "unknown device 'gpu'"},
        {"{\"devices\": [\"cpu\", \"emulator\"]}", "cpu runs the FP32 model on its own"},
        {"{\"pool_mode\": \"round-robin\"}", "valid modes: [data-parallel, pipeline]"}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ModelConfig.parse(c[0], "repo/m/config.json", DEFAULTS), c[0]);
      assertTrue(e.getMessage().startsWith("repo/m/config.json: "), e.getMessage());
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
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
