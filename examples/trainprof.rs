use multispike::data::mnist::{load_mnist, Split};
use multispike::train::{TrainConfig, Trainer};
use multispike::{Mode, NetConfig};
fn main() {
    let tr = load_mnist("data/mnist".as_ref(), Split::Train).unwrap().head(20000);
    let cfg = TrainConfig::paper(NetConfig::new(vec![784, 400, 10], 0.8, Mode::Multi));
    let mut t = Trainer::new(cfg).unwrap();
    let s = std::time::Instant::now();
    let st = t.train_epoch(&tr, &mut |_, _| {}).unwrap();
    eprintln!("{:.0} samples/s", st.samples as f64 / s.elapsed().as_secs_f64());
}
