import type { UsageRow } from '@hybridgen/core';

const LOCAL_COLOUR = '#16a34a';
const CLOUD_COLOUR = '#1d4ed8';
const WIDTH = 256;
const PLOT_HEIGHT = 64;
const LEFT = 22;
const TOP = 6;
const BOTTOM = 16;

/** "2 Dec" from a ledger day key "2026-12-02" (UTC days). */
export function shortDate(key: string): string {
  const date = new Date(`${key}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? key : date.toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

/** A round top for the count axis: 1, 2, 5, 10, 20, 50… at or above `max`. */
function axisTop(max: number): number {
  for (let step = 1; ; step *= 10) for (const m of [1, 2, 5]) if (m * step >= max) return m * step;
}

/**
 * Images per day, stacked: local drafts and cloud renders, the last 14 days with data. A count
 * axis on the left, readable dates under the first and last bars, and a legend.
 */
export function UsageChart({ days }: { days: readonly UsageRow[] }) {
  const shown = days.slice(-14);
  if (shown.length === 0) return <div style={{ fontSize: 11, color: '#666' }}>No images yet.</div>;
  const top = axisTop(Math.max(1, ...shown.map((d) => d.local_drafts + d.cloud_jobs)));
  const slot = (WIDTH - LEFT) / 14;
  const bar = Math.max(4, slot - 4);
  const y = (count: number) => TOP + PLOT_HEIGHT - (count / top) * PLOT_HEIGHT;
  const first = shown[0];
  const last = shown.at(-1);
  return (
    <figure style={{ margin: 0 }}>
      <svg
        width={WIDTH}
        height={TOP + PLOT_HEIGHT + BOTTOM}
        role="img"
        aria-label="Images per day: local drafts and cloud renders"
        data-testid="hg-usage-chart"
      >
        <line x1={LEFT} x2={LEFT} y1={TOP} y2={TOP + PLOT_HEIGHT} stroke="#9ca3af" />
        <line x1={LEFT} x2={WIDTH} y1={TOP + PLOT_HEIGHT} y2={TOP + PLOT_HEIGHT} stroke="#9ca3af" />
        {[0, top / 2, top].map((tick) => (
          <text key={tick} x={LEFT - 3} y={y(tick) + 3} fontSize={9} fill="#555" textAnchor="end" data-testid="hg-chart-tick">
            {Number.isInteger(tick) ? tick : ''}
          </text>
        ))}
        {shown.map((d, i) => {
          const x = LEFT + 2 + i * slot;
          return (
            <g key={d.key}>
              <title>{`${shortDate(d.key)}: ${d.local_drafts} on this device, ${d.cloud_jobs} in the cloud`}</title>
              <rect x={x} y={y(d.local_drafts)} width={bar} height={TOP + PLOT_HEIGHT - y(d.local_drafts)} fill={LOCAL_COLOUR} />
              <rect x={x} y={y(d.local_drafts + d.cloud_jobs)} width={bar} height={y(d.local_drafts) - y(d.local_drafts + d.cloud_jobs)} fill={CLOUD_COLOUR} />
            </g>
          );
        })}
        {first && (
          <text x={LEFT + 2} y={TOP + PLOT_HEIGHT + 12} fontSize={9} fill="#555" data-testid="hg-chart-date">
            {shortDate(first.key)}
          </text>
        )}
        {last && last !== first && (
          <text x={LEFT + 2 + (shown.length - 1) * slot + bar} y={TOP + PLOT_HEIGHT + 12} fontSize={9} fill="#555" textAnchor="end" data-testid="hg-chart-date">
            {shortDate(last.key)}
          </text>
        )}
      </svg>
      <figcaption
        style={{ display: 'flex', flexWrap: 'wrap', gap: '2px 8px', fontSize: 10, color: '#374151', whiteSpace: 'nowrap' }}
        data-testid="hg-chart-legend"
      >
        <span>
          <span style={{ display: 'inline-block', width: 8, height: 8, background: LOCAL_COLOUR, marginRight: 4 }} />
          on this device
        </span>
        <span>
          <span style={{ display: 'inline-block', width: 8, height: 8, background: CLOUD_COLOUR, marginRight: 4 }} />
          in the cloud
        </span>
        <span style={{ color: '#6b7280' }}>images per day</span>
      </figcaption>
    </figure>
  );
}
