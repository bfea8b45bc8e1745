export function TeamPage() {
  return (
    <section className="page">
      <h1>Team settings</h1>
    </section>
  );
}
