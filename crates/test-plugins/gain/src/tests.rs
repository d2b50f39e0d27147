//! In-process tests of the gain plugin through its real `AEffect` (via the kit harness).

use test_plugin_kit::harness::Harness;
use vst2_abi::EffectOpcode as E;
use vst2_abi::strings::read_c_string;

use crate::Gain;

fn gain() -> Harness {
    Harness::new::<Gain>().expect("instance")
}

#[test]
fn identity() {
    let mut h = gain();
    let e = h.effect();
    assert_eq!(e.unique_id, i32::from_be_bytes(*b"VbGn"));
    assert_eq!(
        (e.num_inputs, e.num_outputs, e.num_params, e.num_programs, e.flags),
        (2, 2, 2, 3, 0x1030)
    );
    assert_eq!(h.get_string(E::GET_EFFECT_NAME, 0).1, "Gain");
    assert_eq!(h.get_string(E::GET_VENDOR_STRING, 0).1, "vstbridge");
    assert_eq!(h.get_string(E::GET_PRODUCT_STRING, 0).1, "vstbridge test gain");
    assert_eq!(h.dispatch(E::GET_VST_VERSION, 0, 0, 0.0), 2400);
    assert_eq!(h.dispatch(E::GET_PLUG_CATEGORY, 0, 0, 0.0), 1);
    assert_eq!(h.put_string(E::CAN_DO, 0, "bypass"), 1);
    assert_eq!(h.put_string(E::CAN_DO, 0, "offline"), 0);
    assert_eq!(h.dispatch(E::GET_TAIL_SIZE, 0, 0, 0.0), 1);
    assert_eq!(h.dispatch(E::SET_PROCESS_PRECISION, 0, 1, 0.0), 1);
    assert_eq!(h.dispatch(E::CAN_BE_AUTOMATED, 1, 0, 0.0), 1);
    assert_eq!(h.dispatch(E::CAN_BE_AUTOMATED, 2, 0, 0.0), 0);
}

#[test]
fn parameters_and_strings() {
    let mut h = gain();
    assert_eq!(h.get_string(E::GET_PARAM_NAME, 0).1, "Gain");
    assert_eq!(h.get_string(E::GET_PARAM_LABEL, 0).1, "dB");
    assert_eq!(h.get_string(E::GET_PARAM_DISPLAY, 0).1, "0.00");
    assert_eq!(h.get_string(E::GET_PARAM_NAME, 1).1, "Pan");
    assert_eq!(h.get_string(E::GET_PARAM_LABEL, 1).1, "%");
    h.set_parameter(1, 0.0);
    assert_eq!(h.get_string(E::GET_PARAM_DISPLAY, 1).1, "-100");
    h.set_parameter(0, 0.0);
    assert_eq!(h.get_string(E::GET_PARAM_DISPLAY, 0).1, "-inf");
    assert_eq!(h.put_string(E::STRING_TO_PARAMETER, 0, "-6.0206"), 1);
    assert!((h.get_parameter(0) - 0.25).abs() < 1e-6);
    assert_eq!(h.put_string(E::STRING_TO_PARAMETER, 0, "loud"), 0);
    let (answer, props) = h.parameter_properties(1);
    assert_eq!(
        (
            answer,
            read_c_string(&props.label),
            props.min_integer,
            props.max_integer
        ),
        (1, "Pan".into(), -100, 100)
    );
    let (answer, pin) = h.pin_properties(true, 0);
    assert_eq!(
        (answer, read_c_string(&pin.label), pin.flags),
        (1, "Gain In L".into(), 3)
    );
    let (answer, pin) = h.pin_properties(false, 1);
    assert_eq!(
        (
            answer,
            read_c_string(&pin.label),
            read_c_string(&pin.short_label),
            pin.flags
        ),
        (1, "Gain Out R".into(), "Out R".into(), 1)
    );
    assert_eq!(h.pin_properties(false, 2).0, 0);
}

#[test]
fn programs_are_editable() {
    let mut h = gain();
    let names: Vec<_> = (0..4).map(|i| h.get_string(E::GET_PROGRAM_NAME_INDEXED, i)).collect();
    assert_eq!(
        names,
        [
            (1, "Unity".into()),
            (1, "Quiet".into()),
            (1, "Left".into()),
            (0, String::new())
        ]
    );
    h.dispatch(E::SET_PROGRAM, 0, 1, 0.0);
    assert_eq!(h.dispatch(E::GET_PROGRAM, 0, 0, 0.0), 1);
    assert_eq!(h.get_parameter(0), 0.25);
    h.set_parameter(0, 0.75);
    h.put_string(E::SET_PROGRAM_NAME, 0, "A name longer than twenty-three bytes");
    assert_eq!(h.get_string(E::GET_PROGRAM_NAME, 0).1, "A name longer than twen");
    h.dispatch(E::SET_PROGRAM, 0, 2, 0.0);
    assert_eq!((h.get_parameter(0), h.get_parameter(1)), (0.5, 0.0));
    h.dispatch(E::SET_PROGRAM, 0, 1, 0.0);
    assert_eq!(h.get_parameter(0), 0.75, "the edit was kept in program 1");
    h.dispatch(E::SET_PROGRAM, 0, 7, 0.0);
    assert_eq!(h.dispatch(E::GET_PROGRAM, 0, 0, 0.0), 1, "out of range is ignored");
}

#[test]
fn chunks_round_trip_and_reject_garbage() {
    let mut h = gain();
    h.dispatch(E::SET_PROGRAM, 0, 2, 0.0);
    h.set_parameter(0, 0.125);
    let bank = h.get_chunk(false);
    let program = h.get_chunk(true);
    assert_eq!(&bank[..4], b"VbGb");
    assert_eq!(&program[..4], b"VbGp");

    let mut other = gain();
    assert_eq!(other.set_chunk(false, &[]), 0);
    assert_eq!(other.set_chunk(false, &[0x55; 333]), 0);
    assert_eq!(other.set_chunk(true, &bank), 0);
    assert_eq!(other.get_chunk(false), gain().get_chunk(false), "state unchanged");
    assert_eq!(other.set_chunk(false, &bank), 1);
    assert_eq!(other.dispatch(E::GET_PROGRAM, 0, 0, 0.0), 2);
    assert_eq!(other.get_parameter(0), 0.125);
    assert_eq!(other.get_chunk(false), bank);

    let mut third = gain();
    assert_eq!(third.set_chunk(true, &program), 1);
    assert_eq!((third.get_parameter(0), third.get_parameter(1)), (0.125, 0.0));
    assert_eq!(third.get_string(E::GET_PROGRAM_NAME, 0).1, "Left");
    assert_eq!(
        third.dispatch(E::GET_PROGRAM, 0, 0, 0.0),
        0,
        "loaded into the current program"
    );
}

fn ramp(frames: usize, scale: f32) -> Vec<f32> {
    (0..frames).map(|i| ((i as f32) * 0.37).sin() * scale).collect()
}

#[test]
fn f32_and_f64_paths_compute_the_same_math() {
    let mut h = gain();
    h.set_parameter(0, 0.3);
    h.set_parameter(1, 0.7);
    let (l, r) = (ramp(64, 1.0), ramp(64, -0.5));
    let (mut ol, mut or) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    h.process_f32(&[&l, &r], &mut [&mut ol, &mut or], false);
    let (l64, r64): (Vec<f64>, Vec<f64>) = (
        l.iter().map(|&v| v.into()).collect(),
        r.iter().map(|&v| v.into()).collect(),
    );
    let (mut dl, mut dr) = (vec![0.0f64; 64], vec![0.0f64; 64]);
    assert!(h.process_f64(&[&l64, &r64], &mut [&mut dl, &mut dr]));
    let (cl, cr) = (2.0 * 0.3f64 * (2.0 * (1.0 - 0.7f64)).min(1.0), 2.0 * 0.3f64);
    for i in 0..64 {
        assert!((dl[i] - l64[i] * cl).abs() < 1e-7 && (dr[i] - r64[i] * cr).abs() < 1e-7);
        assert!((f64::from(ol[i]) - dl[i]).abs() < 1e-6 && (f64::from(or[i]) - dr[i]).abs() < 1e-6);
    }
    // Deterministic: the same input gives bit-identical output.
    let (mut again_l, mut again_r) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    h.process_f32(&[&l, &r], &mut [&mut again_l, &mut again_r], false);
    assert_eq!((again_l, again_r), (ol, or));
}

#[test]
fn bypass_and_accumulating_process() {
    let mut h = gain();
    h.dispatch(E::SET_PROGRAM, 0, 1, 0.0); // Quiet: amplitude 0.5
    let (l, r) = (ramp(32, 1.0), ramp(32, 0.25));
    let (mut ol, mut or) = (vec![1.0f32; 32], vec![1.0f32; 32]);
    h.process_f32(&[&l, &r], &mut [&mut ol, &mut or], true);
    for i in 0..32 {
        assert_eq!(ol[i], 1.0 + l[i] * 0.5);
        assert_eq!(or[i], 1.0 + r[i] * 0.5);
    }
    assert_eq!(h.dispatch(E::SET_BYPASS, 0, 1, 0.0), 1);
    h.process_f32(&[&l, &r], &mut [&mut ol, &mut or], false);
    assert_eq!((ol, or), (l, r));
}
