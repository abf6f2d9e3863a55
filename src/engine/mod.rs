//! The compute engine: one sample's spikes, loss and exact gradients, and the optimiser. Nothing
//! here reads a file or knows a data set.
//!
//! - [`config`]: [`NetConfig`](config::NetConfig) and [`Mode`](config::Mode), the validated
//!   architecture and neuron dynamics.
//! - [`real`]: [`Precision`](real::Precision), the f32/f64 type of the per-neuron state.
//! - [`kernels`]: the vectorisable inner loops (row sums, gradient rows, Adam), dispatched between
//!   baseline and AVX2 at run time.
//! - [`dynamics`]: the seam for the neuron model: [`NeuronKernel`](dynamics::NeuronKernel), every
//!   expression that depends on p = τ_I/τ_V, and [`Dynamics`](dynamics::Dynamics), a network's
//!   constants with its kernel. What a kernel for a general τ_I/τ_V must provide.
//! - [`kernel_p2`]: [`P2`](kernel_p2::P2), τ_V = τ_I/2: the quadratic crossing root, its slope,
//!   and the level update with the quadratic's candidate pre-test.
//! - [`encoding`]: pixels (or unit spike times) → input spike times → events.
//! - [`events`]: the input events of a layer, grouped into time levels.
//! - [`forward`]: the exact forward pass of one layer (closed-form spike times, resets).
//! - [`backward`]: the exact backward pass of one layer through every spike and reset.
//! - [`network`]: [`Network`](network::Network): weights, and the layers chained forward and
//!   backward for one sample, with its [`Trace`](network::Trace) and
//!   [`Workspace`](network::Workspace).
//! - [`loss`]: the paper's loss (cross-entropy, dead-neuron penalty, L2 on v_out) and the
//!   decision rule.
//! - [`optim`]: Adam over the f32 weights.

pub mod backward;
pub mod config;
pub mod dynamics;
pub mod encoding;
pub mod events;
pub mod forward;
pub mod kernel_p2;
pub mod kernels;
pub mod loss;
pub mod network;
pub mod optim;
pub mod real;
