//! Edge lists, neuron tables and spike files: any bytes must give rows or an
//! error with a line number, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use volley_models::network::csv_table::CsvTable;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = CsvTable::<&[u8]>::from_reader(Path::new("fuzz.csv"), data) else {
        return;
    };
    let cols: Vec<usize> = ["source", "target", "weight_mV", "delay_ms"]
        .iter()
        .filter_map(|c| table.column(c))
        .collect();
    let _ = table.for_each_row(|row| {
        for &c in &cols {
            let _ = row.f64(c);
            let _ = row.u32(c);
        }
        Ok(())
    });
});
