import { useTranslation } from 'react-i18next';

// The fields that name a controller for the test bed — its name, and either a local URL (a socket
// controller) or an uploaded ES module — shared by the shadow registration and the challenge-run form.

export interface ControllerFieldsProps {
  name: string;
  url: string;
  /** The uploaded module's text ('' when none); a URL is disabled while one is chosen. */
  source: string;
  onName: (v: string) => void;
  onUrl: (v: string) => void;
  onSource: (v: string) => void;
  /** Prefix of the fields' test ids (`<prefix>-name`, `-url`, `-file`). */
  testIdPrefix: string;
}

export function ControllerFields(p: ControllerFieldsProps) {
  const { t } = useTranslation();
  const onFile = async (f: File | undefined) => p.onSource(f ? await f.text() : '');
  return (
    <>
      <label>
        {t('testbed.name')}
        <input
          value={p.name}
          onChange={(e) => p.onName(e.target.value)}
          pattern="[a-z0-9][a-z0-9_\-]{0,63}"
          required
          data-testid={`${p.testIdPrefix}-name`}
        />
      </label>
      <label>
        {t('testbed.url')}
        <input
          type="url"
          value={p.url}
          placeholder="http://127.0.0.1:8765/"
          onChange={(e) => p.onUrl(e.target.value)}
          disabled={!!p.source}
          data-testid={`${p.testIdPrefix}-url`}
        />
      </label>
      <label>
        {t('testbed.module')}
        <input
          type="file"
          accept=".mjs,.js,text/javascript"
          onChange={(e) => void onFile(e.target.files?.[0])}
          data-testid={`${p.testIdPrefix}-file`}
        />
      </label>
    </>
  );
}
