export function TracePage() {
  return (
    <section className="page">
      <h1>Trace</h1>
    </section>
  );
}
