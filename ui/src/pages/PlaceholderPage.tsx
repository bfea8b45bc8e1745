import { Link } from 'react-router-dom';

export function PlaceholderPage({ title, what }: { title: string; what: string }) {
  return (
    <section className="page">
      <h1>{title}</h1>
      <div className="empty">
        <p>{what} come to this page soon.</p>
        <p className="muted">
          Meanwhile the HTTP API has them all: see <code>GET api/openapi.json</code>.
        </p>
      </div>
    </section>
  );
}

export function NotFoundPage() {
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>
        There is no page here. <Link to="/search">Go to Search</Link>.
      </p>
    </section>
  );
}
