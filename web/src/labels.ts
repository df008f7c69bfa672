import { useTranslation } from 'react-i18next';
import { useLive } from './live.ts';

// Names people read instead of raw ids: "공장 배터리" / "Factory battery" from the asset's site and
// type; the grid meter is "계통" / "Grid". An id the live state does not know is shown as it is.

export const GRID_ID = 'grid';

export function useSiteLabel() {
  const { t, i18n } = useTranslation();
  return (id: string, name: string) => (i18n.exists(`site.${id}`) ? t(`site.${id}`) : name);
}

export function useAssetLabel() {
  const { t } = useTranslation();
  const assets = useLive((s) => s.state?.assets);
  const sites = useLive((s) => s.state?.sites);
  const siteLabel = useSiteLabel();
  return (id: string): string => {
    if (id === GRID_ID) return t('flow.grid');
    const a = assets?.[id];
    if (!a) return id;
    const site = siteLabel(a.siteId, sites?.[a.siteId]?.name ?? a.siteId);
    const type = t(`assetType.${a.type}`, { defaultValue: a.type });
    // "AI 데이터센터", not "AI 데이터센터 데이터센터".
    if (site.toLowerCase().includes(type.toLowerCase())) return site;
    return t('asset.label', { site, type });
  };
}
