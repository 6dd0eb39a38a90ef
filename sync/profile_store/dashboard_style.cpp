#include "sync/profile_store/dashboard_page.hpp"

namespace kiosk_edge {

std::string_view DashboardStyle() {
  return R"css(
:root { font-family: system-ui, sans-serif; color: #1d2329; background: #f5f6f8; }
body { margin: 0; }
header { display: flex; align-items: center; justify-content: space-between; padding: 0.75rem 1.5rem;
         background: #1d2329; color: #fff; }
header h1 { font-size: 1.25rem; margin: 0; }
main, #login { padding: 1rem 1.5rem; }
section { background: #fff; border-radius: 6px; padding: 0.75rem 1rem; margin-bottom: 1rem; overflow-x: auto;
          box-shadow: 0 1px 2px rgba(0, 0, 0, 0.08); }
h2 { font-size: 1.05rem; margin: 0 0 0.5rem; }
#login-form { max-width: 32rem; display: flex; flex-direction: column; gap: 0.5rem; }
#filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: end; margin-bottom: 0.5rem; }
#filters label { display: flex; flex-direction: column; font-size: 0.85rem; gap: 0.2rem; }
input, select, button { font: inherit; padding: 0.3rem 0.5rem; }
button { cursor: pointer; }
[hidden] { display: none !important; }
.error { color: #a4161a; font-weight: 600; }
#status { color: #555; min-height: 1.2em; margin: 0.25rem 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { padding: 0.3rem 0.5rem; border-bottom: 1px solid #e3e5e8; text-align: right; }
th:first-child, td:first-child { text-align: left; }
#report thead th { cursor: pointer; user-select: none; white-space: nowrap; }
#report thead th[aria-sort=ascending]::after { content: " \25B2"; }
#report thead th[aria-sort=descending]::after { content: " \25BC"; }
tfoot td { font-weight: 600; border-top: 2px solid #1d2329; }
svg { width: 100%; max-width: 960px; display: block; }
svg text { font-size: 12px; fill: #1d2329; }
.bar.scans, .key.scans, .line.scans, .point.scans { fill: #4c78a8; stroke: #4c78a8; }
.bar.signups, .key.signups, .line.signups, .point.signups { fill: #f58518; stroke: #f58518; }
.bar.redemptions, .key.redemptions, .line.redemptions, .point.redemptions { fill: #54a24b; stroke: #54a24b; }
.key.scans { background: #4c78a8; }
.key.signups { background: #f58518; }
.key.redemptions { background: #54a24b; }
.line { fill: none !important; stroke-width: 2; }
.axis { stroke: #999; stroke-width: 1; }
.legend { font-size: 0.85rem; margin: 0 0 0.25rem; }
.key { display: inline-block; width: 0.8rem; height: 0.8rem; margin: 0 0.25rem 0 0.5rem;
       vertical-align: middle; }
.state-ok { color: #2b7a0b; }
.state-attention { color: #a4161a; font-weight: 600; }
)css";
}

}  // namespace kiosk_edge
