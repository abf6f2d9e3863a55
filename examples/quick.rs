use multispike::data::mnist::{load_mnist, Split};
use multispike::train::{evaluate, TrainConfig, Trainer};
use multispike::{Mode, NetConfig};
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(5000);
    let std: f64 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(0.3f64.sqrt());
    let tr = load_mnist("data/mnist".as_ref(), Split::Train).unwrap().head(n);
    let te = load_mnist("data/mnist".as_ref(), Split::Test).unwrap().head(10000);
    let mut cfg = TrainConfig::paper(NetConfig::new(vec![784, 400, 10], 0.8, Mode::Multi));
    cfg.init_std = std;
    if let Ok(m) = std::env::var("MEAN") { cfg.init_mean = m.parse().unwrap(); }
    if let Ok(m) = std::env::var("LR") { cfg.adam.lr = m.parse().unwrap(); }
    if let Ok(m) = std::env::var("TAU") { cfg.net.tau_i = m.parse().unwrap(); }
    if let Ok(m) = std::env::var("MODE") { cfg.net.mode = m.parse().unwrap(); }
    let mut t = Trainer::new(cfg).unwrap();
    let e0 = evaluate(&t.net, &te).unwrap();
    println!("init: acc {:.4} spikes {:.3} silent {:.3}", e0.accuracy(), e0.mean_spikes, e0.silent_fraction);
    let eps: usize = std::env::var("EPOCHS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    for ep in 0..eps {
        let s = Instant::now();
        let st = t.train_epoch(&tr, &mut |_, _| {}).unwrap();
        let dt = s.elapsed().as_secs_f64();
        let s2 = Instant::now();
        let e = evaluate(&t.net, &te).unwrap();
        let de = s2.elapsed().as_secs_f64();
        println!("ep {ep}: loss {:.4} train acc {:.4} test acc {:.4} spikes/neuron {:.3} flagged {:.3} nonfinite {} guarded {} | train {:.0} samples/s, eval {:.0} samples/s",
            st.loss_sum / st.samples as f64, st.correct as f64 / st.samples as f64, e.accuracy(), st.spikes as f64 / st.samples as f64 / 400.0,
            st.flagged as f64 / st.flag_slots as f64, st.non_finite, st.guarded, st.samples as f64 / dt, te.n as f64 / de);
    }
}
