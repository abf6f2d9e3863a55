//! Input events of one layer, grouped into time levels.
//!
//! A level is one distinct event time t < t_out; all events at that time form one group and
//! behave as one event (ties). Times are carried as z = exp(t/τ_I) in f64 (global frame: z ≥ 1
//! for t ≥ 0, at most e^{150}). Events at t ≥ t_out have no effect on anything before or at
//! t_out and are dropped here, exactly.

/// Events of one layer in CSR form: level `l` holds `src[start[l]..start[l+1]]`.
#[derive(Clone, Debug, Default)]
pub struct Events {
    /// z = exp(t/τ_I) of each level, strictly increasing.
    pub z: Vec<f64>,
    /// CSR offsets into `src` (len = levels + 1).
    pub start: Vec<u32>,
    /// Presynaptic neuron of each event.
    pub src: Vec<u32>,
    /// For events that are spikes of a hidden layer: index of that spike in the previous layer's
    /// spike list (used to route dL/dz back). Empty for the input layer.
    pub spike_id: Vec<u32>,
}

impl Events {
    /// Number of levels.
    pub fn levels(&self) -> usize {
        self.z.len()
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.src.len()
    }

    /// True when there is no event before t_out.
    pub fn is_empty(&self) -> bool {
        self.src.is_empty()
    }

    /// Events of level `l`.
    #[inline]
    pub fn level(&self, l: usize) -> std::ops::Range<usize> {
        self.start[l] as usize..self.start[l + 1] as usize
    }

    /// Builds the events of the input layer from one spike time per input neuron.
    /// `f64::INFINITY` (or any t ≥ t_out) means "no spike". Times must be finite or +∞ and ≥ 0;
    /// callers validate (see [`crate::engine::encoding::validate_times`]).
    pub fn from_times(times: &[f64], tau_i: f64, t_out: f64) -> Events {
        let mut order: Vec<u32> = (0..times.len() as u32).filter(|&i| times[i as usize] < t_out).collect();
        order.sort_by(|&a, &b| times[a as usize].total_cmp(&times[b as usize]).then(a.cmp(&b)));
        Events::grouped(order.iter().map(|&i| (times[i as usize], i, None)), |t| (t / tau_i).exp())
    }

    /// Events of the read-out layer: one level per spike, in emission order. The read-out is a
    /// sum over events (it never fires), so it needs neither time order nor tie grouping.
    pub fn unordered(spikes: &[(f64, u32)]) -> Events {
        let mut ev = Events::default();
        ev.set_unordered(spikes);
        ev
    }

    /// [`Events::unordered`] into `self`, reusing its buffers.
    pub fn set_unordered(&mut self, spikes: &[(f64, u32)]) {
        let n = spikes.len() as u32;
        self.z.clear();
        self.z.extend(spikes.iter().map(|s| s.0));
        self.start.clear();
        self.start.extend(0..=n);
        self.src.clear();
        self.src.extend(spikes.iter().map(|s| s.1));
        self.spike_id.clear();
        self.spike_id.extend(0..n);
    }

    /// Builds the events of the next layer from a hidden layer's spikes given as (z, neuron),
    /// indexed by spike id. Spikes are sorted by time; equal z form one level.
    pub fn from_spikes(spikes: &[(f64, u32)]) -> Events {
        let mut ev = Events::default();
        ev.set_from_spikes(spikes);
        ev
    }

    /// [`Events::from_spikes`] into `self`, reusing its buffers.
    pub fn set_from_spikes(&mut self, spikes: &[(f64, u32)]) {
        let mut order: Vec<u32> = (0..spikes.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (za, na) = spikes[a as usize];
            let (zb, nb) = spikes[b as usize];
            za.total_cmp(&zb).then(na.cmp(&nb))
        });
        self.set_grouped(
            order.iter().map(|&k| {
                let (z, neuron) = spikes[k as usize];
                (z, neuron, Some(k))
            }),
            |z| z,
        );
    }

    /// Builds CSR levels from events sorted by `key` (a time or a z): equal keys form one level,
    /// whose z is `z_of(key)`. Each event is (key, presynaptic neuron, spike id if any).
    fn grouped(sorted: impl ExactSizeIterator<Item = (f64, u32, Option<u32>)>, z_of: impl Fn(f64) -> f64) -> Events {
        let mut ev = Events::default();
        ev.set_grouped(sorted, z_of);
        ev
    }

    /// [`Events::grouped`] into `self`, reusing its buffers.
    fn set_grouped(
        &mut self,
        sorted: impl ExactSizeIterator<Item = (f64, u32, Option<u32>)>,
        z_of: impl Fn(f64) -> f64,
    ) {
        let n = sorted.len();
        self.z.clear();
        self.start.clear();
        self.start.push(0);
        self.src.clear();
        self.src.reserve(n);
        self.spike_id.clear();
        let mut last = f64::NAN;
        for (key, src, id) in sorted {
            if key != last {
                if !self.src.is_empty() {
                    self.start.push(self.src.len() as u32);
                }
                self.z.push(z_of(key));
                last = key;
            }
            self.src.push(src);
            self.spike_id.extend(id);
        }
        if !self.src.is_empty() {
            self.start.push(self.src.len() as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_form_one_level_and_late_inputs_are_dropped() {
        let t = [0.5, 0.2, 0.5, 1.0, f64::INFINITY, 0.0, 1.5];
        let ev = Events::from_times(&t, 0.8, 1.0);
        assert_eq!(ev.levels(), 3);
        assert_eq!(ev.src, vec![5, 1, 0, 2]);
        assert_eq!(ev.start, vec![0, 1, 2, 4]);
        assert!((ev.z[2] - (0.5f64 / 0.8).exp()).abs() < 1e-15);
        assert!(Events::from_times(&[1.0, 2.0], 0.8, 1.0).is_empty());
        assert_eq!(Events::from_times(&[1.0, 2.0], 0.8, 1.0).start, vec![0]);
    }
}
