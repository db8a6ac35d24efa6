// "Choose a device": the radio list of second factors, at sign-in and in the step-up dialog.
export function DeviceChoice({
  name,
  choices,
  value,
  onChange,
}: {
  name: string;
  choices: { id: string; label: string }[];
  value: string;
  onChange: (id: string) => void;
}) {
  return (
    <fieldset className="field choice-list">
      <legend className="choice-legend">Choose a device</legend>
      {choices.map((choice) => (
        <label key={choice.id} className="row choice">
          <input type="radio" name={name} value={choice.id} checked={choice.id === value} onChange={() => onChange(choice.id)} />
          {choice.label}
        </label>
      ))}
    </fieldset>
  );
}
