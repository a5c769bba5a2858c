package dev.potaccel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DeviceSpecTest {
  @Test
  void parsesCpuInAnyCase() {
    assertEquals(DeviceSpec.CPU, DeviceSpec.parse("cpu"));
    assertEquals(DeviceSpec.CPU, DeviceSpec.parse(" CPU "));
    assertEquals("cpu", DeviceSpec.CPU.toString());
  }

  @Test
  void unknownDeviceListsTheValidOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DeviceSpec.parse("fpga"));
    assertEquals("unknown device 'fpga'; valid devices: cpu, emulator,"
        + " opencl[:platform[:device]]", e.getMessage());
  }

  @Test
  void openClTakesAPlatformAndADeviceIndex() {
    assertEquals(new DeviceSpec(DeviceSpec.Kind.OPENCL, 0, 0), DeviceSpec.parse("opencl"));
    assertEquals(new DeviceSpec(DeviceSpec.Kind.OPENCL, 1, 2), DeviceSpec.parse("opencl:1:2"));
    assertEquals("opencl:1:0", DeviceSpec.parse("OpenCL:1").toString());
    assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("opencl:1:2:3"));
  }

  @Test
  void cpuTakesNoIndex() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DeviceSpec.parse("cpu:0"));
    assertEquals("device 'cpu:0': cpu takes no index; valid devices: cpu, emulator,"
        + " opencl[:platform[:device]]", e.getMessage());
  }
}
