import type { UsageRow } from '@hybridgen/core';

/** A small stacked bar chart: local drafts vs cloud jobs per day (last 14 days with data). */
export function UsageChart({ days }: { days: readonly UsageRow[] }) {
  const shown = days.slice(-14);
  if (shown.length === 0) return <div style={{ fontSize: 11, color: '#666' }}>No images yet.</div>;
  const max = Math.max(1, ...shown.map((d) => d.local_drafts + d.cloud_jobs));
  const barWidth = 12;
  const gap = 4;
  const height = 48;
  return (
    <svg
      width={shown.length * (barWidth + gap)}
      height={height + 12}
      role="img"
      aria-label="Images per day: local drafts and cloud renders"
      data-testid="hg-usage-chart"
    >
      {shown.map((d, i) => {
        const local = (d.local_drafts / max) * height;
        const cloud = (d.cloud_jobs / max) * height;
        const x = i * (barWidth + gap);
        return (
          <g key={d.key}>
            <title>{`${d.key}: ${d.local_drafts} local, ${d.cloud_jobs} cloud`}</title>
            <rect x={x} y={height - local} width={barWidth} height={local} fill="#16a34a" />
            <rect x={x} y={height - local - cloud} width={barWidth} height={cloud} fill="#1d4ed8" />
          </g>
        );
      })}
      <text x={0} y={height + 11} fontSize={9} fill="#666">
        {shown[0]?.key.slice(5)}
      </text>
    </svg>
  );
}
