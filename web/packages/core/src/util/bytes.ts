/**
 * Formats a byte count for people, in decimal units as download dialogs do:
 * `formatBytes(3_500_000_000)` is `"3.5 GB"`.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${sign}${value.toFixed(digits)} ${units[unit]}`;
}

/** 2^30 bytes. */
export const GiB = 1024 ** 3;
/** 2^20 bytes. */
export const MiB = 1024 ** 2;
