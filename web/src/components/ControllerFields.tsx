import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

// The fields that name a controller for the test bed — its name, and either a local URL (a socket
// controller) or an uploaded ES module — and the admin form around them, shared by the shadow
// registration and the challenge-run form.

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

/** The controller fields' state, what a request names the controller by, and a reset for after it. */
export function useControllerFields() {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [source, setSource] = useState('');
  return {
    name,
    /** `{ source }` for an uploaded module, else `{ url }`. */
    controller: source ? { source } : { url },
    ready: !!name && (!!url || !!source),
    reset: () => {
      setName('');
      setUrl('');
      setSource('');
    },
    fieldProps: { name, url, source, onName: setName, onUrl: setUrl, onSource: setSource },
  };
}

export interface ControllerFormProps {
  fields: ReturnType<typeof useControllerFields>;
  /** Prefix of the test ids (`<prefix>-form`, `-submit` and the fields'). */
  testIdPrefix: string;
  title: string;
  note: string;
  submitLabel: string;
  pending: boolean;
  onSubmit: () => void;
  /** Fields after the controller's, before the submit button. */
  children?: ReactNode;
}

export function ControllerForm(p: ControllerFormProps) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    p.onSubmit();
  };
  return (
    <form className="sim-form" onSubmit={submit} data-testid={`${p.testIdPrefix}-form`}>
      <h3>{p.title}</h3>
      <p className="muted small">{p.note}</p>
      <fieldset disabled={p.pending}>
        <ControllerFields {...p.fields.fieldProps} testIdPrefix={p.testIdPrefix} />
        {p.children}
        <button type="submit" disabled={!p.fields.ready} data-testid={`${p.testIdPrefix}-submit`}>
          {p.submitLabel}
        </button>
      </fieldset>
    </form>
  );
}
