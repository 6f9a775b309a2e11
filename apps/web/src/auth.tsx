import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, type Me, setUnauthorizedHandler } from './api';

interface AuthState {
  me: Me | null;
  loading: boolean;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  switchPractice(practiceId: string): Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

/** Holds the signed-in user (from `GET /api/auth/me`); a 401 anywhere returns to sign-in. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    api<{ me: Me | null }>('/api/auth/session')
      .then((r) => setMe(r.me))
      .catch((err) => console.warn('session check failed', err))
      .finally(() => setLoading(false));
    setUnauthorizedHandler(() => setMe(null));
    return () => setUnauthorizedHandler(null);
  }, []);

  const signIn = useCallback(async (email: string, password: string) => {
    setMe(await api<Me>('/api/auth/login', { method: 'POST', body: { email, password } }));
  }, []);
  const signOut = useCallback(async () => {
    await api('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
    setMe(null);
  }, []);
  const switchPractice = useCallback(async (practiceId: string) => {
    setMe(await api<Me>('/api/auth/practice', { method: 'POST', body: { practiceId } }));
  }, []);

  const value = useMemo(() => ({ me, loading, signIn, signOut, switchPractice }), [me, loading, signIn, signOut, switchPractice]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
