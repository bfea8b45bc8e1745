export function ChartsPage() {
  return (
    <section className="page">
      <h1>Charts</h1>
    </section>
  );
}
