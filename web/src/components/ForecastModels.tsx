import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ApiError, type ForecastModelChoice } from '../api.ts';
import { num, time } from '../format.ts';

// Which forecast model serves this asset and how the candidates scored on held-out data
// (GET /api/forecast/models). Servers without that route (404) or whose planner does not report it
// (503) get a card that says the choice is not published instead of an error.

/** Model choices change when the forecaster re-validates, hours apart. */
const MODELS_POLL_MS = 300_000;

export function ForecastModels({ assetId }: { assetId: string }) {
  const { t, i18n } = useTranslation();
  const q = useQuery({
    queryKey: ['forecast-models'],
    queryFn: async () => {
      try {
        return await api<{ models: ForecastModelChoice[] }>('/api/forecast/models');
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 503)) return null;
        throw e;
      }
    },
    refetchInterval: MODELS_POLL_MS,
    retry: false,
  });
  const mine = q.data?.models.filter((m) => m.assetId === assetId) ?? [];
  return (
    <section className="card" data-testid="forecast-models">
      <h3>{t('models.title')}</h3>
      {q.isPending && <p className="muted small">{t('app.loading')}</p>}
      {q.isError && <p className="error small">{t('app.loadError')}</p>}
      {q.data === null && <p className="muted small">{t('models.unavailable')}</p>}
      {q.data && mine.length === 0 && <p className="muted small">{t('models.none')}</p>}
      {mine.map((m) => (
        <div key={`${m.target}-${m.assetId}`} className="model">
          {/* The reason is the server's own sentence, in English: inline there, a tooltip otherwise. */}
          <p title={m.reason}>
            {m.validatedAt
              ? t('models.chosen', {
                  target: t(`models.target.${m.target}`, { defaultValue: m.target }),
                  model: m.chosen,
                  time: time(m.validatedAt, undefined, true),
                })
              : t('models.chosenUnvalidated', {
                  target: t(`models.target.${m.target}`, { defaultValue: m.target }),
                  model: m.chosen,
                })}{' '}
            {i18n.language === 'en' && <span className="muted small">{m.reason}</span>}
          </p>
          {m.candidates.length > 0 && (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>{t('models.model')}</th>
                    <th className="num">{t('models.rmse')}</th>
                    <th className="num">{t('models.mae')}</th>
                    <th className="num">{t('models.skill')}</th>
                  </tr>
                </thead>
                <tbody>
                  {m.candidates.map((c) => (
                    <tr key={c.name} className={c.name === m.chosen ? 'chosen' : ''}>
                      <td>{c.name}</td>
                      <td className="num">{num(c.rmseKw, 1)} kW</td>
                      <td className="num">{num(c.maeKw, 1)} kW</td>
                      <td className="num">{num(c.skillRmse, 2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      ))}
    </section>
  );
}
