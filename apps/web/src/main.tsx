import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { AuthProvider, useAuth } from './auth';
import { Layout } from './components/Layout';
import { Spinner } from './components/States';
import { AdminPage } from './pages/admin/AdminPage';
import { LoginPage } from './pages/Login';
import { StudyPage } from './pages/Study';
import { UploadPage } from './pages/Upload';
import { WorklistPage } from './pages/Worklist';
import './styles.css';

function App() {
  const { me, loading } = useAuth();
  if (loading) return <Spinner label="Loading Vet PACS" />;
  if (!me) return <LoginPage />;
  const canUpload = me.role !== 'READ_ONLY';
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<WorklistPage />} />
        <Route path="studies/:studyUid" element={<StudyPage />} />
        <Route path="upload" element={canUpload ? <UploadPage /> : <Forbidden />} />
        <Route path="admin/*" element={me.role === 'OWNER_ADMIN' ? <AdminPage /> : <Forbidden />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

function Forbidden() {
  return (
    <section className="panel" aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">Not available for your role</h1>
      <p>Ask a practice owner or administrator if you need access to this page.</p>
    </section>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <AuthProvider>
        <App />
      </AuthProvider>
    </BrowserRouter>
  </StrictMode>,
);
