//! A neuron's state as plain words, for checkpoints: every field a later
//! event reads, bit for bit (floats by their bits), in a fixed order per
//! model. Parameter sets are not saved: the model file rebuilds them.

use volley_engine::Time;

/// Words read back in the order they were saved.
pub(crate) struct Words<'a>(&'a [u64]);

impl<'a> Words<'a> {
    pub(crate) fn new(words: &'a [u64]) -> Self {
        Words(words)
    }

    fn next(&mut self) -> Option<u64> {
        let (&w, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(w)
    }

    pub(crate) fn f64(&mut self) -> Option<f64> {
        self.next().map(f64::from_bits)
    }

    pub(crate) fn time(&mut self) -> Option<Time> {
        self.next().map(Time)
    }

    /// All words were read.
    pub(crate) fn finished(&self) -> bool {
        self.0.is_empty()
    }
}

/// State saved as words.
pub(crate) trait Saved: Sized {
    fn save(&self, out: &mut Vec<u64>);
    /// Overwrite `self` with what [`save`](Self::save) wrote (`None`: too few words).
    fn load(&mut self, words: &mut Words) -> Option<()>;
}

// Saved state is finite: anything else is a damaged file.
impl Saved for f64 {
    fn save(&self, out: &mut Vec<u64>) {
        out.push(self.to_bits());
    }
    fn load(&mut self, words: &mut Words) -> Option<()> {
        *self = words.f64().filter(|x| x.is_finite())?;
        Some(())
    }
}

impl Saved for Time {
    fn save(&self, out: &mut Vec<u64>) {
        out.push(self.0);
    }
    fn load(&mut self, words: &mut Words) -> Option<()> {
        *self = words.time()?;
        Some(())
    }
}

impl<T: Saved, const N: usize> Saved for [T; N] {
    fn save(&self, out: &mut Vec<u64>) {
        self.iter().for_each(|x| x.save(out));
    }
    fn load(&mut self, words: &mut Words) -> Option<()> {
        self.iter_mut().try_for_each(|x| x.load(words))
    }
}

/// Save or load each listed field of a struct, in order.
macro_rules! saved_fields {
    ($ty:ty { $($field:ident),* }) => {
        impl $crate::neuron::saved::Saved for $ty {
            fn save(&self, out: &mut Vec<u64>) {
                $(self.$field.save(out);)*
            }
            fn load(&mut self, words: &mut $crate::neuron::saved::Words) -> Option<()> {
                $(self.$field.load(words)?;)*
                Some(())
            }
        }
    };
}
pub(crate) use saved_fields;
