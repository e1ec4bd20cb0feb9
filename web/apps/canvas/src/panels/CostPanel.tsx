import type { CloudClient, UsageReport } from '@hybridgen/core';
import { useEffect, useState } from 'react';
import { UsageChart } from './UsageChart.js';

function usd(value: number): string {
  return value === 0 ? '$0.00' : value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

/** What images cost: local vs cloud counts, spend, savings against all-cloud, per-day chart; refreshed after each image. */
export function CostPanel({ client, events }: { client: CloudClient; events: EventTarget }) {
  const [usage, setUsage] = useState<UsageReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const load = () =>
      client.usage(controller.signal).then(
        (report) => {
          setUsage(report);
          setError(null);
        },
        (e: unknown) => {
          if (!controller.signal.aborted) setError(e instanceof Error ? e.message : String(e));
        },
      );
    load();
    events.addEventListener('changed', load);
    return () => {
      events.removeEventListener('changed', load);
      controller.abort();
    };
  }, [client, events]);

  if (error) return <div style={{ fontSize: 12, color: '#b91c1c' }}>Usage unavailable: {error}</div>;
  if (!usage) return <div style={{ fontSize: 12 }}>Loading usage…</div>;
  const t = usage.total;
  return (
    <div data-testid="hg-cost-panel" style={{ display: 'grid', gap: 6, fontSize: 12 }}>
      <div style={{ display: 'grid', gridTemplateColumns: 'auto auto', gap: '2px 12px' }}>
        <span>Local drafts</span>
        <strong data-testid="hg-local-count">{t.local_drafts}</strong>
        <span>Cloud renders</span>
        <strong data-testid="hg-cloud-count">{t.cloud_jobs}</strong>
        <span>Spent</span>
        <strong data-testid="hg-spent">{usd(t.cost_usd + t.in_flight_cost_usd)}</strong>
        {t.unconfirmed > 0 && (
          <>
            <span title="Submissions that got no answer: the cloud may have run them. Counted at their worst case against budgets until RunPod reports them; never retried automatically.">
              Unconfirmed ({t.unconfirmed})
            </span>
            <strong data-testid="hg-unconfirmed" style={{ color: '#b45309' }}>
              up to {usd(t.unconfirmed_cost_usd)}
            </strong>
          </>
        )}
        <span>Saved vs all-cloud</span>
        <strong data-testid="hg-saved" style={{ color: '#16a34a' }}>
          {usd(t.savings_usd)} ({Math.round(t.savings_ratio * 100)}%)
        </strong>
      </div>
      <UsageChart days={usage.by_day} />
    </div>
  );
}
