package historytest

import (
	"time"

	"github.com/together-coop/together/events"
	"github.com/together-coop/together/events/stakeholder"
)

// Day returns 10:00 UTC on the given day of March 2026, the month the
// story happens in.
func Day(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC) }

// Ids of the story.
const (
	Letters                 = "p-letters" // programme North, elements template and phone
	Waiting                 = "p-waiting" // programme North
	Parking                 = "p-parking" // programme South
	Template, Phone         = "e-template", "e-phone"
	Ann, Ben, Cat, Dev, Eve = "ann", "ben", "cat", "dev", "eve"
)

// Story is a small programme written as it happened. The report tests
// compute every figure from it by hand; keep them in step when changing it.
//
//   - 1 March: programme North registers "Letters" (elements: the letter
//     template, the phone line) and "Waiting"; programme South registers
//     "Parking". Ann (service user), Ben (carer and frontline staff), Cat
//     (frontline staff), Dev (manager) and Eve (public) are registered.
//   - 2 March: workshop w1 on the template, at co-design, is planned; Ann,
//     Ben, Cat and Dev are invited. 3 March: Ann, Ben and Dev accept, Cat
//     declines. 4 March: Dev changes his answer to no.
//   - 5 March: w1 is held. Ann, Ben and Eve (who was not invited) come, with
//     two people who gave no name.
//   - 6 March: Ann (f1) and Ben (f3) give feedback on the template; f2 is
//     anonymous; Dev gives f4 on the template. Actions: a1 from f1 due 20
//     March, a2 from f3 due 10 March.
//   - 7 March: the board decides the template is co-design and the phone
//     line co-production. Action a3 from the anonymous f2, due 12 March.
//   - 8 March: Dev retracts f4. Actions a4 (no feedback) due 14 March, and
//     a5 from f1 due 30 March.
//   - 9 March: focus group w2 on the template and the phone line, at
//     consult, is planned and Eve invited; a2 is moved to 25 March.
//   - 10 March: w2 is held; Cat and Eve come.
//   - 11 March: "Waiting" holds meeting w3 (engage) with Dev, who also
//     gives feedback f5 there.
//   - 12 March: the board moves the template down to consult. "Parking"
//     holds w4 with Ann.
//   - 13 March: a3 is dropped. 15 March: a1 is completed; 16 March its
//     outcome is fed back.
//   - 20 March: Cat tells us she uses the service too: her roles become
//     frontline staff and service user.
//   - 24 March: a2 is completed (nobody is told).
//
// Alongside, the facts only the newer reports read:
//
//   - 1 March: Ann declares herself 65–74, White British, disabled, in
//     deprivation decile 1; Ben 35–44, Pakistani, not disabled, decile 2;
//     Cat prefers not to give her age or disability, White British, decile
//     6; Dev 45–54, Black Caribbean, not disabled, decile 3; Eve declares
//     nothing. Ann needs travel support and Eve childcare. Ann and Ben
//     consent to being quoted.
//   - 2 March: the programme office finds the duty to involve applies to
//     "Letters" (s14Z45). "Waiting" is never assessed.
//   - 5 March: at w1 Ann's travel is paid (£4.50); Eve's childcare is
//     not. 8 March: Ben withdraws his consent to quotes.
//   - 10 March: at w2 Eve's childcare is covered (£20.00) and Cat is paid
//     for her time (£25.00). f1 is answered "adopted" (themes of f1:
//     wording and tone) and f3 "not adopted: budget not approved" (theme:
//     wording).
//   - 13 March: "Parking" is assessed: the duty does not apply.
//   - 14 March: the anonymous f2 (theme: print size) is answered "partly
//     adopted". 18 March: Dev is erased.
func Story() *Builder {
	b := NewBuilder(Day(1))
	b.At(Day(1)).
		Project(Letters, "North", "Letters").Element(Letters, Template, "Letter template").Element(Letters, Phone, "Phone line").
		Project(Waiting, "North", "Waiting").
		Project(Parking, "South", "Parking").
		Stakeholder(Ann, events.RoleServiceUser).
		Stakeholder(Ben, events.RoleCarer, events.RoleFrontlineStaff).
		Stakeholder(Cat, events.RoleFrontlineStaff).
		Stakeholder(Dev, events.RoleManager).
		Stakeholder(Eve, events.RolePublic).
		Declare(Ann, stakeholder.Demographics{AgeBand: "65_74", Ethnicity: "White British", Disability: "yes", DeprivationDecile: "1"}).
		Declare(Ben, stakeholder.Demographics{AgeBand: "35_44", Ethnicity: "Pakistani", Disability: "no", DeprivationDecile: "2"}).
		Declare(Cat, stakeholder.Demographics{AgeBand: stakeholder.PreferNotToSay, Ethnicity: "White British", Disability: stakeholder.PreferNotToSay, DeprivationDecile: "6"}).
		Declare(Dev, stakeholder.Demographics{AgeBand: "45_54", Ethnicity: "Black Caribbean", Disability: "no", DeprivationDecile: "3"}).
		Need(Ann, "travel").Need(Eve, "childcare").
		Consent(Ann, "quotes", true).Consent(Ben, "quotes", true)
	b.At(Day(2)).Duty(Letters, true, "s14Z45").
		Plan("w1", Letters, events.LevelCoDesign, "workshop", Template).
		Invite("w1", Ann).Invite("w1", Ben).Invite("w1", Cat).Invite("w1", Dev)
	b.At(Day(3)).Answer("w1", Ann, true).Answer("w1", Ben, true).Answer("w1", Dev, true).Answer("w1", Cat, false)
	b.At(Day(4)).Answer("w1", Dev, false)
	b.At(Day(5)).Hold("w1", 2, Ann, Ben, Eve).Support("w1", Ann, "travel", 450)
	b.At(Day(6)).
		Feedback("f1", Letters, "w1", Template, Ann, "wording", "tone").
		Feedback("f2", Letters, "w1", "", "", "print size").
		Feedback("f3", Letters, "w1", Template, Ben, "wording").
		Feedback("f4", Letters, "", Template, Dev).
		Agree("a1", Letters, Day(20), "f1").
		Agree("a2", Letters, Day(10), "f3")
	b.At(Day(7)).
		Decide(Letters, Template, events.LevelCoDesign, "", "Board", "People who write to us know what works").
		Decide(Letters, Phone, events.LevelCoProduce, "", "Board", "Callers will run the script with us").
		Agree("a3", Letters, Day(12), "f2")
	b.At(Day(8)).Consent(Ben, "quotes", false).Retract("f4").Agree("a4", Letters, Day(14)).Agree("a5", Letters, Day(30), "f1")
	b.At(Day(9)).Plan("w2", Letters, events.LevelConsult, "focus_group", Template, Phone).Invite("w2", Eve).
		Reschedule("a2", Day(25))
	b.At(Day(10)).Hold("w2", 0, Cat, Eve).Support("w2", Eve, "childcare", 2000).Support("w2", Cat, "payment", 2500).
		Respond("f1", "adopted", "Plain words fit the template").Respond("f3", "not_adopted", "Budget not approved")
	b.At(Day(11)).Plan("w3", Waiting, events.LevelEngage, "meeting").Hold("w3", 0, Dev).
		Feedback("f5", Waiting, "w3", "", Dev)
	b.At(Day(12)).
		Decide(Letters, Template, events.LevelConsult, events.LevelCoDesign, "Board", "Legal wording limits the room to move").
		Plan("w4", Parking, events.LevelEngage, "meeting").Hold("w4", 0, Ann)
	b.At(Day(13)).Drop("a3").Duty(Parking, false, "not a change to services")
	b.At(Day(14)).Respond("f2", "partly_adopted", "Large print on request")
	b.At(Day(18)).Erase(Dev)
	b.At(Day(15)).Complete("a1")
	b.At(Day(16)).Communicate("a1")
	b.At(Day(20)).Roles(Cat, events.RoleFrontlineStaff, events.RoleServiceUser)
	b.At(Day(24)).Complete("a2")
	return b
}
