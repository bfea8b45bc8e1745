import { Link } from 'react-router-dom';

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
