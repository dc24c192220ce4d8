//! The bar chart of the largest regressions and improvements, drawn as SVG by Leptos (no
//! chart library): one bar per function, length by |Δ|, red for slower, green for faster.
//! Clicking a bar selects that row.

use leptos::prelude::*;

use crate::engine::compare::TopEntry;
use crate::ui::fmt;

const W: f64 = 760.0;
const LABEL: f64 = 300.0;
const ROW: f64 = 22.0;
const BAR: f64 = 14.0;
/// Room right of the longest bar for its value.
const VALUE: f64 = 120.0;

/// `func · file.py:12` from pstats' `path/file.py:12(func)`; builtins as they are.
pub fn short_label(display: &str) -> String {
    let label = match display.rfind('(') {
        Some(open)
            if display.ends_with(')') && !display.starts_with('{') && !display.starts_with('<') =>
        {
            let name = &display[open + 1..display.len() - 1];
            let place = &display[..open];
            let file = place.rsplit(['/', '\\']).next().unwrap_or(place);
            if place.starts_with('~') {
                name.to_string()
            } else {
                format!("{name} · {file}")
            }
        }
        _ => display.to_string(),
    };
    if label.chars().count() > 44 {
        let cut: String = label.chars().take(43).collect();
        format!("{cut}…")
    } else {
        label
    }
}

#[component]
pub fn DeltaChart(
    regressions: Vec<TopEntry>,
    improvements: Vec<TopEntry>,
    selected: Signal<Option<String>>,
    on_select: Callback<String>,
) -> impl IntoView {
    if regressions.is_empty() && improvements.is_empty() {
        return view! { <p class="muted" data-testid="chart-empty">"No function changed beyond the thresholds."</p> }
            .into_any();
    }
    let max = regressions
        .iter()
        .chain(&improvements)
        .map(|e| e.delta.abs())
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let scale = (W - LABEL - VALUE) / max;
    let mut y = 0.0;
    let mut parts = Vec::new();
    for (title, entries, class) in [
        ("Slower", regressions, "bar-slower"),
        ("Faster", improvements, "bar-faster"),
    ] {
        if entries.is_empty() {
            continue;
        }
        y += ROW;
        parts.push(view! { <text x="0" y=y - 6.0 class="chart-heading">{title}</text> }.into_any());
        for e in entries {
            let top = y;
            y += ROW;
            let len = (e.delta.abs() * scale).max(1.5);
            let display = e.display.clone();
            let d2 = e.display.clone();
            let d3 = e.display.clone();
            let value = format!("{} ({})", fmt::signed_secs(e.delta), fmt::pct(e.pct));
            parts.push(
                view! {
                    <g
                        class=format!("bar {class}")
                        class:selected=move || selected.get().as_deref() == Some(d3.as_str())
                        role="button"
                        tabindex="0"
                        data-testid="chart-bar"
                        data-function=display.clone()
                        on:click=move |_| on_select.run(display.clone())
                        on:keydown=move |ev| if ev.key() == "Enter" { on_select.run(d2.clone()) }
                    >
                        <title>{format!("{}\n{}", e.display, value)}</title>
                        <rect class="bar-hit" x="0" y=top width=W height=ROW></rect>
                        <text x=LABEL - 8.0 y=top + ROW / 2.0 + 4.0 text-anchor="end" class="bar-label">
                            {short_label(&e.display)}
                        </text>
                        <rect class="bar-fill" x=LABEL y=top + (ROW - BAR) / 2.0 width=len height=BAR rx="2"></rect>
                        <text x=LABEL + len + 6.0 y=top + ROW / 2.0 + 4.0 class="bar-value">{value.clone()}</text>
                    </g>
                }
                .into_any(),
            );
        }
    }
    view! {
        <div class="chart-wrap">
            <svg
                class="chart"
                data-testid="delta-chart"
                viewBox=format!("0 0 {W} {}", y + 4.0)
                role="img"
                aria-label="largest regressions and improvements"
            >
                {parts}
            </svg>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::short_label;

    #[test]
    fn labels() {
        assert_eq!(
            short_label("src/a/app/shop.py:13(regress)"),
            "regress · shop.py:13"
        );
        assert_eq!(
            short_label("~:0(<built-in method time.sleep>)"),
            "<built-in method time.sleep>"
        );
        assert_eq!(
            short_label("{built-in method time.sleep}"),
            "{built-in method time.sleep}"
        );
    }
}
