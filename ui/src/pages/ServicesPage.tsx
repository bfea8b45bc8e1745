export function ServicesPage() {
  return (
    <section className="page">
      <h1>Services</h1>
    </section>
  );
}
