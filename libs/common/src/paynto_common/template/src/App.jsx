export default function App() {
  return (
    <main className="flex min-h-screen items-center justify-center bg-gradient-to-br from-slate-50 to-slate-200 px-6 text-slate-800">
      <div className="max-w-md text-center">
        <div className="mx-auto mb-6 h-12 w-12 animate-pulse rounded-2xl bg-slate-900/10" />
        <h1 className="text-2xl font-semibold tracking-tight">Your site will appear here</h1>
        <p className="mt-3 text-sm text-slate-500">
          Describe what you want to build, and the preview updates as the code is written.
        </p>
      </div>
    </main>
  )
}
