package dev.potaccel.device.pool;

import dev.potaccel.error.ErrorKind;
import dev.potaccel.error.PotaccelException;

/**
 * A {@link DevicePool} cannot answer a batch: no healthy device is left, or the batch failed on
 * {@code maxAttempts} devices in turn (then the batch, not the devices, is the likely culprit). The
 * message names the devices and why each was taken out; the cause is the last failure.
 * {@link ErrorKind#DEVICE}: the CLI exits with code 4, a server answers 503.
 */
public final class DeviceUnavailableException extends PotaccelException {
  private static final long serialVersionUID = 1L;

  public DeviceUnavailableException(String message, Throwable cause) {
    super(ErrorKind.DEVICE, message, cause);
  }
}
