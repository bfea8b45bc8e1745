export function PreferencesPage() {
  return (
    <section className="page">
      <h1>Preferences</h1>
    </section>
  );
}
