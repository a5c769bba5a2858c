package dev.potaccel.device.pool;

/**
 * Told of every {@link PoolEvent}, in order, from a pool thread after the pool has released its
 * lock: it may call the pool's getters, but should return quickly.
 */
@FunctionalInterface
public interface PoolEventListener {
  PoolEventListener NONE = e -> {};

  void onEvent(PoolEvent event);
}
