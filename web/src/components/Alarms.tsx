import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, type EventRec } from '../api.ts';
import { time } from '../format.ts';
import { useAssetLabel } from '../labels.ts';
import { useSession } from '../session.ts';

// The alarm list: events newest first (GET /api/events), unacknowledged ones first in view, with an
// acknowledge button for operators (POST /api/events/{id}/ack, audited as event.ack). The stream
// carries measurements, not events, so the list is polled.

/** Events refresh this often. */
const EVENTS_POLL_MS = 10_000;
/** Rows shown: a screenful; older ones are in the API. */
const EVENTS_SHOWN = 30;

export function Alarms() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const label = useAssetLabel();
  const canAck = useSession((s) => s.role) === 'operator';
  const [all, setAll] = useState(false);
  const events = useQuery({
    queryKey: ['events', all],
    queryFn: () =>
      api<{ events: EventRec[] }>(`/api/events?limit=${EVENTS_SHOWN}${all ? '' : '&unacknowledged=true'}`),
    refetchInterval: EVENTS_POLL_MS,
  });
  const ack = useMutation({
    mutationFn: (id: number) => api<EventRec>(`/api/events/${id}/ack`, { method: 'POST' }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['events'] }),
  });
  const list = events.data?.events ?? [];
  return (
    <section className="card alarms" data-testid="alarm-list">
      <div className="card-head">
        <h2>{t('overview.alarms')}</h2>
        <label className="check small">
          <input
            type="checkbox"
            checked={all}
            onChange={(e) => setAll(e.target.checked)}
            data-testid="alarms-all"
          />
          {t('alarms.showAcknowledged')}
        </label>
      </div>
      {events.isError && (
        <p className="error">
          {t('app.loadError')} ({(events.error as Error).message})
        </p>
      )}
      {events.isPending && <p className="muted">{t('app.loading')}</p>}
      {events.data && list.length === 0 && (
        <p className="muted">{all ? t('overview.noAlarms') : t('alarms.noneOpen')}</p>
      )}
      {ack.error instanceof ApiError && (
        <p className="error" role="alert">
          {ack.error.message}
        </p>
      )}
      <ul className="events" data-testid="alarms">
        {list.map((e) => (
          <li
            key={e.id}
            className={`sev-${e.severity} ${e.acknowledged ? 'acked' : ''}`}
            data-testid={`alarm-${e.id}`}
          >
            <span className="sev">{t(`severity.${e.severity}`)}</span>
            <span className="muted small">{time(e.time, undefined, true)}</span>
            <span className="msg">
              {e.assetId ? <b>{label(e.assetId)}: </b> : null}
              {t(`eventCode.${e.code}`, { defaultValue: e.message })}
            </span>
            {e.acknowledged ? (
              <span className="muted small">{t('alarms.acknowledged')}</span>
            ) : canAck ? (
              <button
                type="button"
                className="ghost small"
                disabled={ack.isPending}
                onClick={() => ack.mutate(e.id)}
                data-testid={`ack-${e.id}`}
              >
                {t('alarms.ack')}
              </button>
            ) : (
              <span className="muted small">{t('alarms.open')}</span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
