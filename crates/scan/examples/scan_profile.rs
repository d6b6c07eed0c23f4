//! Tuning aid: time per stage on a 256 KB mixed text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use behavry_scan::injection::InjectionScanner;
use behavry_scan::normalize::normalize;
use behavry_scan::pii::PiiScanner;
use behavry_scan::secrets::SecretScanner;
use std::time::Instant;

fn main() {
    let para = "Hi David, your Mercury debit card ••4605 was charged $109.87 by AHREFS. The settled amount may be different. If you have any questions, just reply to this email.\n- id_: '15'\n  sender: emma.johnson@bluesparrowtech.com\n  subject: 'Re: Family Reunion'\n# tar\n\n> Archiving utility.\n\n- Create an archive from files:\n\n`tar cf target.tar file1 file2`\nSee https://docs.example.com/guide?page=2 for details.\n";
    let text = para.repeat(256 * 1024 / para.len());
    let mb = text.len() as f64 / 1e6;
    let t = Instant::now();
    let n = normalize(&text);
    println!("normalize {:.1} MB/s", mb / t.elapsed().as_secs_f64());
    let s = SecretScanner::with_rules(None).unwrap();
    let t = Instant::now();
    let mut out = Vec::new();
    s.scan(&text, None, &mut out);
    println!(
        "secrets {:.1} MB/s ({} findings)",
        mb / t.elapsed().as_secs_f64(),
        out.len()
    );
    let p = PiiScanner::new().unwrap();
    let t = Instant::now();
    let mut out = Vec::new();
    p.scan(&text, &mut out);
    println!(
        "pii {:.1} MB/s ({} findings)",
        mb / t.elapsed().as_secs_f64(),
        out.len()
    );
    let i = InjectionScanner::new(None).unwrap();
    let t = Instant::now();
    let sc = i.score(&n.text);
    println!(
        "injection {:.1} MB/s ({})",
        mb / t.elapsed().as_secs_f64(),
        sc.score
    );
}
