export function DashboardsPage() {
  return (
    <section className="page">
      <h1>Dashboards</h1>
    </section>
  );
}
