import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../i18n/index.ts';
import '../styles.css';
import { FleetApp } from './FleetApp.tsx';

// The fleet dashboard (web/fleet.html), served by `bitgrid backend --http-port` at `/`.

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <FleetApp />
    </QueryClientProvider>
  </StrictMode>,
);
