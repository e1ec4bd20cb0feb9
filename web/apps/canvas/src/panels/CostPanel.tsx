import type { CloudClient, DraftQueue, UsageReport } from '@hybridgen/core';
import { useEffect, useState } from 'react';
import { UsageChart } from './UsageChart.js';

const LAST_USAGE_KEY = 'hybridgen-last-usage';

function usd(value: number): string {
  return value === 0 ? '$0.00' : value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

/** The last report the server sent, with when it came, for showing while the server is away. */
interface KnownUsage {
  readonly report: UsageReport;
  readonly at: number;
}

function remembered(): KnownUsage | null {
  try {
    const raw = localStorage.getItem(LAST_USAGE_KEY);
    return raw ? (JSON.parse(raw) as KnownUsage) : null;
  } catch {
    return null;
  }
}

function remember(report: UsageReport): KnownUsage {
  const known = { report, at: Date.now() };
  localStorage.setItem(LAST_USAGE_KEY, JSON.stringify(known));
  return known;
}

/**
 * What images cost: local vs cloud counts, spend, savings against all-cloud, per-day chart;
 * refreshed after each image. While the server cannot be reached it shows the last figures it
 * had, with a note saying so.
 */
export function CostPanel({ client, events, drafts }: { client: CloudClient; events: EventTarget; drafts: DraftQueue }) {
  const [known, setKnown] = useState<KnownUsage | null>(remembered);
  const [offline, setOffline] = useState(false);
  const [waiting, setWaiting] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const load = () => {
      void drafts.pending().then(setWaiting, () => setWaiting(0));
      return client.usage(controller.signal).then(
        (report) => {
          setKnown(remember(report));
          setOffline(false);
        },
        () => {
          if (!controller.signal.aborted) setOffline(true);
        },
      );
    };
    load();
    events.addEventListener('changed', load);
    return () => {
      events.removeEventListener('changed', load);
      controller.abort();
    };
  }, [client, events, drafts]);

  if (!known) return <div style={{ fontSize: 12, color: '#555' }}>{offline ? 'Costs appear once the server can be reached.' : 'Loading costs…'}</div>;
  const t = known.report.total;
  return (
    <div data-testid="hg-cost-panel" style={{ display: 'grid', gap: 6, fontSize: 12 }}>
      {offline && (
        <div data-testid="hg-cost-offline" style={{ color: '#92400e' }}>
          The server cannot be reached: figures as of {new Date(known.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}.
          {waiting > 0 && ` ${waiting} draft${waiting === 1 ? '' : 's'} made since will be recorded when it is back.`}
        </div>
      )}
      <div style={{ display: 'grid', gridTemplateColumns: 'auto auto', gap: '2px 12px' }}>
        <span>Local drafts</span>
        <strong data-testid="hg-local-count">{t.local_drafts}</strong>
        {(t.local_upscales ?? 0) > 0 && (
          <>
            <span>Local upscales</span>
            <strong data-testid="hg-upscale-count">{t.local_upscales}</strong>
          </>
        )}
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
      <UsageChart days={known.report.by_day} />
    </div>
  );
}
