//! The SVG plots of a sweep, drawn from its CSV rows of one budget group: test accuracy vs τ_I
//! (paper Fig. 5), mean spikes per hidden neuron vs τ_I (Fig. 4), both with the paper's values as
//! reference lines and drawn by one τ_I chart builder, and spike-count histograms (Fig. 3).

use super::store::write_atomic;
use crate::util::{CliResult, Failure};
use multispike::app::sweep::{self as sw, RunGroup, SweepRow};
use multispike::Mode;
use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// The files written, in this order.
const PLOTS: [&str; 3] = ["accuracy_vs_tau.svg", "spikes_vs_tau.svg", "spike_hist.svg"];

type PlotResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

const FONT: &str = "sans-serif";
const MULTI_COLOR: RGBColor = RGBColor(31, 119, 180);
const SINGLE_COLOR: RGBColor = RGBColor(230, 110, 0);
const REF_COLOR: RGBColor = RGBColor(90, 90, 90);

fn mode_color(m: Mode) -> RGBColor {
    match m {
        Mode::Multi => MULTI_COLOR,
        Mode::Single => SINGLE_COLOR,
    }
}

/// The paper's multi-spike row of Table I at τ_I = 0.8 (its best), (τ_I, %, s.e.).
const PAPER_MULTI_BEST: (f64, f64, f64) = (0.8, 98.43, 0.05);
/// The paper's single-spike τ_I = 0.8 row of Table I, in percent.
const PAPER_SINGLE_08: (f64, f64, f64) = (0.8, 97.99, 0.06);

/// The paper's large-τ_I (non-leaky) limits of a mode: the test accuracy in percent (Fig. 5
/// text) and the mean spikes per hidden neuron (Fig. 4 text, approximate).
fn paper_limits(m: Mode) -> (f64, f64) {
    match m {
        Mode::Multi => (98.23, 1.5),
        Mode::Single => (97.96, 0.6),
    }
}

/// What a legend entry shows.
#[derive(Clone, Copy)]
enum Glyph {
    /// A solid line with the mode's marker.
    Series(Mode),
    /// A dashed line.
    Dashed(RGBColor),
    /// A star-like cross with an error bar.
    Star(RGBColor),
}

/// A dashed horizontal line across a τ_I chart, with its legend text.
struct RefLine {
    y: f64,
    color: RGBColor,
    /// Opacity of the line on the chart (the legend shows it opaque).
    opacity: f64,
    label: String,
}

/// One dashed line per mode of the sweep (multi first) at the paper's large-τ_I limit, in the
/// mode's colour: `value` picks the limit, `label` writes the legend text from the mode and it.
fn paper_limit_lines(
    modes: &[Mode],
    opacity: f64,
    value: fn((f64, f64)) -> f64,
    label: impl Fn(Mode, f64) -> String,
) -> Vec<RefLine> {
    [Mode::Multi, Mode::Single]
        .into_iter()
        .filter(|m| modes.contains(m))
        .map(|m| {
            let y = value(paper_limits(m));
            RefLine { y, color: mode_color(m), opacity, label: label(m, y) }
        })
        .collect()
}

/// A legend below a chart, in two columns.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[(Glyph, String)]) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let col_w = (w as i32 - 80) / 2;
    let style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (g, text)) in entries.iter().enumerate() {
        let x = 60 + (i as i32 % 2) * col_w;
        let y = 14 + (i as i32 / 2) * 22;
        match *g {
            Glyph::Series(m) => {
                let c = mode_color(m);
                area.draw(&PathElement::new(vec![(x, y), (x + 30, y)], c.stroke_width(2)))?;
                match m {
                    Mode::Multi => area.draw(&Circle::new((x + 15, y), 5, c.filled()))?,
                    Mode::Single => area.draw(&TriangleMarker::new((x + 15, y), 6, c.filled()))?,
                }
            }
            Glyph::Dashed(c) => {
                for k in 0..3 {
                    area.draw(&PathElement::new(vec![(x + k * 11, y), (x + k * 11 + 7, y)], c.stroke_width(2)))?;
                }
            }
            Glyph::Star(c) => {
                area.draw(&Cross::new((x + 15, y), 6, c.stroke_width(2)))?;
                area.draw(&PathElement::new(vec![(x + 15, y - 8), (x + 15, y + 8)], c.stroke_width(1)))?;
            }
        }
        area.draw(&Text::new(text.clone(), (x + 40, y), style.clone()))?;
    }
    Ok(())
}

/// The x range of the τ_I plots: log scale, a bit beyond the data, ticks at the τ_I values.
fn tau_axis(taus: &[f64]) -> WithKeyPoints<LogCoord<f64>> {
    let lo = taus.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = taus.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = if lo < hi { (lo / 1.35, hi * 1.35) } else { (lo / 2.0, lo * 2.0) };
    let coord: LogCoord<f64> = (lo..hi).log_scale().into();
    coord.with_key_points(taus.to_vec())
}

fn fmt_tau(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A y range around `values`, padded, at least `min_span` wide, clamped to `clamp`.
fn padded(values: impl Iterator<Item = f64>, min_span: f64, clamp: (f64, f64)) -> (f64, f64) {
    let (mut lo, mut hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return clamp;
    }
    if hi - lo < min_span {
        let mid = 0.5 * (lo + hi);
        lo = mid - 0.5 * min_span;
        hi = mid + 0.5 * min_span;
    }
    let pad = 0.08 * (hi - lo);
    ((lo - pad).max(clamp.0), (hi + pad).min(clamp.1))
}

/// What every plot of one budget group needs.
struct PlotData<'a> {
    rows: Vec<&'a SweepRow>,
    modes: Vec<Mode>,
    taus: Vec<f64>,
    /// The data set's title, e.g. "MNIST".
    dataset: &'a str,
    /// e.g. "784-400-10, 1 epoch, 5000 training / 2000 test images, 1 seed"
    subtitle: String,
    /// The fewest and the most seeds of a plotted point.
    seeds: (usize, usize),
}

impl PlotData<'_> {
    /// One curve per mode of `value` over τ_I (mean ± s.e. over seeds).
    fn curves(&self, value: impl Fn(&SweepRow) -> f64 + Copy) -> Vec<(Mode, Vec<sw::Point>)> {
        self.modes.iter().map(|&m| (m, sw::curve(&self.rows, m, value))).collect()
    }

    /// The legend entries of this sweep's curves.
    fn series_legend(&self) -> Vec<(Glyph, String)> {
        self.modes
            .iter()
            .map(|&m| (Glyph::Series(m), format!("this run: {m}-spike ({})", seeds_range(self.seeds))))
            .collect()
    }
}

/// How one point was made from `n` seeds.
fn seeds_note(n: usize) -> String {
    if n > 1 {
        format!("mean ± s.e. over {n} seeds")
    } else {
        "1 seed".to_string()
    }
}

/// How the points of a plot were made, from the fewest and the most seeds per point.
fn seeds_range((lo, hi): (usize, usize)) -> String {
    if lo == hi {
        seeds_note(hi)
    } else {
        format!("{lo}–{hi} seeds per point; mean ± s.e. where more than 1")
    }
}

/// A figure's heading: `title` and, below it in a smaller font, `subtitle`, centred.
fn draw_heading<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, title: &str, subtitle: &str) -> PlotResult
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let centred = |size| TextStyle::from((FONT, size).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(title.to_string(), (w as i32 / 2, 16), centred(19)))?;
    area.draw(&Text::new(subtitle.to_string(), (w as i32 / 2, 38), centred(14)))?;
    Ok(())
}

/// Height of [`draw_heading`]'s strip.
const HEADING: u32 = 52;

/// Renders the three SVG files into `out`; returns their paths.
/// `dataset` is the data set's title, as the plots name it.
pub(super) fn render(
    out: &Path,
    rows: &[SweepRow],
    group: RunGroup,
    layers: Option<&str>,
    dataset: &str,
) -> CliResult<Vec<String>> {
    let rows = sw::rows_of_group(rows, group);
    if rows.is_empty() {
        return Err(Failure::runtime("there are no finished runs to plot".to_string()));
    }
    let counts: Vec<usize> = sw::modes_present(&rows)
        .into_iter()
        .flat_map(|m| sw::curve(&rows, m, |r| r.test_accuracy))
        .map(|p| p.n)
        .collect();
    let seeds = (counts.iter().copied().min().unwrap_or(1), counts.iter().copied().max().unwrap_or(1));
    let subtitle = format!(
        "{}{} epoch{}, {} training / {} test images, {}",
        layers.map(|l| format!("{l}, ")).unwrap_or_default(),
        group.epochs,
        if group.epochs == 1 { "" } else { "s" },
        group.train_samples,
        group.test_samples,
        seeds_range(seeds)
    );
    let data =
        PlotData { modes: sw::modes_present(&rows), taus: sw::taus_present(&rows), rows, dataset, subtitle, seeds };
    let mut written = Vec::new();
    for (name, svg) in [(PLOTS[0], accuracy_svg(&data)), (PLOTS[1], spikes_svg(&data)), (PLOTS[2], hist_svg(&data))] {
        let svg = svg.map_err(|e| Failure::runtime(format!("cannot draw {name}: {e}")))?;
        let path = out.join(name);
        write_atomic(&path, svg.as_bytes())?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------------------
// The τ_I chart builder

/// A chart context over τ_I (log axis, see [`tau_axis`]) and an f64 value.
type TauContext<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<WithKeyPoints<LogCoord<f64>>, RangedCoordf64>>;

/// One chart over τ_I: its axes and what is drawn on them.
struct TauChart<'a> {
    /// The panel's own caption (the figure's heading is drawn by [`tau_figure`]).
    caption: Option<String>,
    /// The τ_I values: the x range and its ticks.
    taus: &'a [f64],
    /// The y range; curve points outside it are left out.
    y_range: (f64, f64),
    /// Decimals of the y tick labels.
    y_decimals: usize,
    x_desc: &'a str,
    y_desc: &'a str,
    refs: &'a [RefLine],
    /// Reference points with error bars (the paper's Table I), (τ_I, value, s.e.).
    points: &'a [(f64, f64, f64)],
    curves: &'a [(Mode, Vec<sw::Point>)],
}

/// Draws `c` on `area`: axes, reference lines, reference points, then the curves.
fn draw_tau_chart(area: &DrawingArea<SVGBackend, Shift>, c: &TauChart) -> PlotResult {
    let (y0, y1) = c.y_range;
    let mut builder = ChartBuilder::on(area);
    if let Some(caption) = &c.caption {
        builder.caption(caption, (FONT, 16));
    }
    let mut chart = builder
        .margin(14)
        .margin_right(28)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(tau_axis(c.taus), y0..y1)?;
    chart
        .configure_mesh()
        .x_desc(c.x_desc)
        .y_desc(c.y_desc)
        .x_label_formatter(&|x| fmt_tau(*x))
        .y_label_formatter(&|y| format!("{:.1$}", y, c.y_decimals))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()?;
    let (xa, xb) = (c.taus[0] / 1.35, c.taus[c.taus.len() - 1] * 1.35);
    for r in c.refs {
        let style = r.color.mix(r.opacity).stroke_width(2);
        chart.draw_series(DashedLineSeries::new(vec![(xa, r.y), (xb, r.y)], 8, 5, style))?;
    }
    for &(x, y, se) in c.points {
        chart.draw_series(std::iter::once(ErrorBar::new_vertical(
            x,
            y - se,
            y,
            y + se,
            REF_COLOR.stroke_width(1),
            8,
        )))?;
        chart.draw_series(std::iter::once(Cross::new((x, y), 7, REF_COLOR.stroke_width(2))))?;
    }
    let inside: Vec<(Mode, Vec<sw::Point>)> = c
        .curves
        .iter()
        .map(|(m, pts)| (*m, pts.iter().filter(|q| q.mean >= y0 && q.mean <= y1).cloned().collect()))
        .collect();
    draw_mode_curves(&mut chart, &inside)
}

/// One curve per mode: a line through the per-τ means, ± s.e. bars where there are several
/// seeds, and the mode's marker (circles for multi-spike, triangles for single-spike).
fn draw_mode_curves(chart: &mut TauContext, curves: &[(Mode, Vec<sw::Point>)]) -> PlotResult {
    for (m, c) in curves {
        let color = mode_color(*m);
        chart.draw_series(LineSeries::new(c.iter().map(|p| (p.tau_i, p.mean)), color.stroke_width(2)))?;
        chart.draw_series(c.iter().filter(|p| p.n > 1).map(|p| {
            ErrorBar::new_vertical(p.tau_i, p.mean - p.se, p.mean, p.mean + p.se, color.stroke_width(2), 10)
        }))?;
        match m {
            Mode::Multi => chart.draw_series(c.iter().map(|p| Circle::new((p.tau_i, p.mean), 5, color.filled())))?,
            Mode::Single => {
                chart.draw_series(c.iter().map(|p| TriangleMarker::new((p.tau_i, p.mean), 6, color.filled())))?
            }
        };
    }
    Ok(())
}

/// A figure `width` pixels wide: a heading of `title` over the sweep's subtitle, `charts` side by
/// side, and a legend of `legend` followed by the reference lines of the first chart.
fn tau_figure(
    width: u32,
    (title, subtitle): (&str, &str),
    charts: &[TauChart],
    legend: Vec<(Glyph, String)>,
) -> PlotResult<String> {
    let mut legend = legend;
    if let Some(first) = charts.first() {
        legend.extend(first.refs.iter().map(|r| (Glyph::Dashed(r.color), r.label.clone())));
    }
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (width, 660 + HEADING)).into_drawing_area();
        root.fill(&WHITE)?;
        let (heading, root) = root.split_vertically(HEADING);
        draw_heading(&heading, title, subtitle)?;
        let (top, bottom) = root.split_vertically(570);
        if let [chart] = charts {
            draw_tau_chart(&top, chart)?;
        } else {
            for (chart, area) in charts.iter().zip(top.split_evenly((1, charts.len()))) {
                draw_tau_chart(&area, chart)?;
            }
        }
        draw_legend(&bottom, &legend)?;
        root.present()?;
    }
    Ok(buf)
}

// ---------------------------------------------------------------------------------------------
// The plots

/// Test accuracy vs τ_I (paper Fig. 5), with a zoomed panel when some τ_I is far below the
/// paper's values.
fn accuracy_svg(d: &PlotData) -> PlotResult<String> {
    let curves = d.curves(|r| 100.0 * r.test_accuracy);
    let refs =
        paper_limit_lines(&d.modes, 0.8, |(acc, _)| acc, |m, v| format!("paper: {m}, τ_I → ∞ (non-leaky), {v}%"));
    let mut points = Vec::new();
    let mut legend = d.series_legend();
    if d.modes.contains(&Mode::Multi) {
        points.push(PAPER_MULTI_BEST);
        legend
            .push((Glyph::Star(REF_COLOR), "paper (Table I): multi, τ_I = 0.8 (its best), 98.43 ± 0.05%".to_string()));
    }
    if d.modes.contains(&Mode::Single) {
        points.push(PAPER_SINGLE_08);
        legend.push((Glyph::Star(REF_COLOR), "paper (Table I): single, τ_I = 0.8, 97.99 ± 0.06%".to_string()));
    }
    let mut x_taus = d.taus.clone();
    if !points.is_empty() && !x_taus.contains(&PAPER_MULTI_BEST.0) {
        x_taus.push(PAPER_MULTI_BEST.0);
        x_taus.sort_by(f64::total_cmp);
    }
    let data_values = || curves.iter().flat_map(|(_, c)| c.iter().flat_map(|p| [p.mean - p.se, p.mean + p.se]));
    let ref_values = || refs.iter().map(|r| r.y).chain(points.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]));
    let (y0, y1) = padded(data_values().chain(ref_values()), 1.0, (0.0, 100.0));
    // A zoomed panel of the region near the paper's values when the full range hides it (some
    // τ_I far below, e.g. the collapse at small τ_I).
    let zoom = (y1 - y0 > 10.0).then(|| {
        let near = data_values().filter(|v| *v >= 90.0).chain(ref_values());
        padded(near, 1.0, (0.0, 100.0))
    });
    let panel = |caption: Option<String>, y_range: (f64, f64)| TauChart {
        caption,
        taus: &x_taus,
        y_range,
        y_decimals: if y_range.1 - y_range.0 < 10.0 { 1 } else { 0 },
        x_desc: "τ_I  (in units of t_out = 1; τ_V = τ_I / 2), log scale",
        y_desc: "test accuracy (%)",
        refs: &refs,
        points: &points,
        curves: &curves,
    };
    let title = format!("{} test accuracy vs τ_I (paper Fig. 5)", d.dataset);
    let mut charts = vec![panel(zoom.map(|_| "full range".to_string()), (y0, y1))];
    if let Some(z) = zoom {
        charts.push(panel(Some(format!("zoom: {:.1}–{:.1} % (points below left out)", z.0, z.1)), z));
    }
    tau_figure(if zoom.is_some() { 1500 } else { 900 }, (&title, &d.subtitle), &charts, legend)
}

/// Mean spikes per hidden neuron vs τ_I (paper Fig. 4).
fn spikes_svg(d: &PlotData) -> PlotResult<String> {
    let curves = d.curves(|r| r.mean_spikes);
    let one = RefLine {
        y: 1.0,
        color: BLACK,
        opacity: 1.0,
        label: "1 spike per neuron: the single-spike maximum".to_string(),
    };
    let mut refs = vec![one];
    refs.extend(paper_limit_lines(&d.modes, 0.6, |(_, spikes)| spikes, |m, v| format!("paper: {m}, τ_I → ∞, ≈ {v}")));
    let top_value = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.mean + p.se))
        .chain(refs.iter().map(|r| r.y))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let chart = TauChart {
        caption: None,
        taus: &d.taus,
        y_range: (0.0, top_value * 1.12),
        y_decimals: 2,
        x_desc: "τ_I  (synaptic time constant, in units of t_out = 1; τ_V = τ_I / 2), log scale",
        y_desc: "mean spikes per hidden neuron per test image",
        refs: &refs,
        points: &[],
        curves: &curves,
    };
    let title = format!("Spikes per hidden neuron vs τ_I, {} test set (paper Fig. 4)", d.dataset);
    tau_figure(900, (&title, &d.subtitle), &[chart], d.series_legend())
}

/// Spike-count histograms of the first hidden layer at three τ_I (paper Fig. 3), multi mode (or
/// single when the sweep has no multi runs).
fn hist_svg(d: &PlotData) -> PlotResult<String> {
    let mode = if d.modes.contains(&Mode::Multi) { Mode::Multi } else { d.modes[0] };
    let mine: Vec<&SweepRow> = d.rows.iter().copied().filter(|r| r.key.mode == mode).collect();
    let panels: Vec<(f64, Vec<f64>, usize)> = sw::hist_taus(&sw::taus_present(&mine))
        .into_iter()
        .filter_map(|t| sw::hist_fractions(&mine, mode, t).map(|(h, n)| (t, h, n)))
        .collect();
    let spikes = sw::curve(&mine, mode, |r| r.mean_spikes);
    let bins = multispike::train::HIST_BINS;

    let mut buf = String::new();
    {
        let fig3 = panels.iter().map(|p| p.0).eq(sw::FIG3_TAUS);
        let foot = if fig3 { 40 } else { 0 };
        let height = 150 + HEADING + 230 * panels.len().max(1) as u32 + foot;
        let full = SVGBackend::with_string(&mut buf, (900, height)).into_drawing_area();
        full.fill(&WHITE)?;
        let (root, note) = full.split_vertically(height - foot);
        if fig3 {
            note.draw(&Text::new(
                "Paper Fig. 3: caption \"τ_V = 0.2, 0.4, 6.4\", text \"τ_I = 0.2\"; read as τ_I these are the panels \
                 0.2, 0.4, 6.4, read as τ_V (τ_I = 2τ_V) they are 0.4, 0.8, 12.8.",
                (12, 8),
                (FONT, 13),
            ))?;
        }
        let (heading, root) = root.split_vertically(HEADING);
        let title = format!("Spike counts per hidden neuron and {} test image, {mode}-spike (paper Fig. 3)", d.dataset);
        draw_heading(&heading, &title, &d.subtitle)?;
        if panels.is_empty() {
            root.draw(&Text::new("no histogram in the CSV", (300, 100), (FONT, 16)))?;
        }
        let n = panels.len().max(1);
        let areas = root.split_evenly((n, 1));
        for (i, ((tau, h, runs), area)) in panels.iter().zip(&areas).enumerate() {
            let last = i + 1 == n;
            let mean = spikes.iter().find(|p| p.tau_i == *tau).map(|p| p.mean).unwrap_or(f64::NAN);
            // each panel on its own scale, so that the tail stays visible next to a tall 0 bin
            let y_top = h.iter().copied().fold(0.0, f64::max).max(0.01) * 1.12;
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!(
                        "τ_I = {}:  mean {:.2} spikes per neuron,  {:.0}% of (neuron, image) pairs without a spike  ({})",
                        fmt_tau(*tau),
                        mean,
                        100.0 * h[0],
                        seeds_note(*runs)
                    ),
                    (FONT, 15),
                )
                .margin(8)
                .margin_right(28)
                .x_label_area_size(if last { 48 } else { 24 })
                .y_label_area_size(70)
                .build_cartesian_2d((0..bins as i32 - 1).into_segmented(), 0.0..y_top)?;
            let x_fmt = |x: &SegmentValue<i32>| match x {
                SegmentValue::CenterOf(k) | SegmentValue::Exact(k) if (*k as usize) + 1 < bins => k.to_string(),
                SegmentValue::CenterOf(k) | SegmentValue::Exact(k) if (*k as usize) + 1 == bins => format!("≥{k}"),
                _ => String::new(),
            };
            let mut mesh = chart.configure_mesh();
            mesh.x_labels(bins + 1)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&|y| format!("{y:.2}"))
                .y_desc("fraction")
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 15))
                .disable_x_mesh()
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(BLACK.mix(0.12));
            if last {
                mesh.x_desc("spikes of one hidden neuron on one test image (first hidden layer)");
            }
            mesh.draw()?;
            let color = mode_color(mode);
            chart.draw_series(h.iter().enumerate().map(|(k, &f)| {
                let k = k as i32;
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(k), 0.0), (SegmentValue::Exact(k + 1), f)],
                    color.mix(0.85).filled(),
                );
                bar.set_margin(0, 0, 5, 5);
                bar
            }))?;
        }
        full.present()?;
    }
    Ok(buf)
}
