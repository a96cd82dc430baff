"""Patient facts (issue 11, item 3): spayed/neutered is a reproductive status, post-op only for
a surgery in the last 14 days; a pet's name that is also a word is a name where a sentence
says so."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import Verdict, load_engine

NOW = datetime(2026, 11, 20, 21, 30)  # a Friday night


def run(*turns: str) -> Verdict:
    return load_engine().analyze(list(turns), now=NOW)


# (text, post_op): a surgery dated in the last 14 days, before or after the surgery word, in
# numbers, weekdays or words; a surgery said with no time (a presumed recent one) ...
POST_OP: list[tuple[str, bool]] = [
    ("my dog was spayed last tuesday and she's not eating", True),
    ("he got neutered 5 days ago and is lethargic", True),
    ("she had surgery on monday and is vomiting", True),
    ("her stitches from her spay look red", True),
    ("5 days ago she got spayed and now she is vomiting", True),
    ("yesterday he got fixed and today he is vomiting", True),
    ("she was spayed 2 weeks ago and is vomiting", True),  # 14 days: still post-op
    ("he just got neutered and keeps licking", True),
    ("he was recently neutered and is lethargic", True),
    ("got our cat rocky neutered monday, he pulled a stitch out", True),
    ("her spay was on monday and the incision looks puffy", True),
    ("my dog had knee surgery nine days ago and he is chewing his bandage", True),
    ("she had her spay surgery on tuesday and she won't eat", True),
    ("she had surgery and is vomiting", True),  # a surgery, no time said: presumed recent
    ("she's a little sore after her spay", True),
    # ... but a reproductive status, an older or a planned surgery is not post-op
    ("my neutered cat has been sneezing since yesterday", False),
    ("she's spayed and has been vomiting today", False),
    ("he's fixed and he's been coughing", False),
    ("he's a 3 yo neutered male and he's limping", False),
    ("my spayed female is vomiting", False),
    ("hi, rocky's my neutered male cat, he's eleven, he has a lump", False),
    ("he was neutered as a puppy and now he is limping", False),
    ("she got spayed when she was a kitten, now she is sneezing", False),
    ("he was neutered last year, now he's limping", False),
    ("she was spayed 3 years ago and she is itchy", False),
    ("she was spayed 3 weeks ago and is vomiting", False),
    ("he got neutered a month ago and is limping", False),
    ("she was spayed before we adopted her and she is limping", False),
    ("he had surgery two years ago and is limping tonight", False),
    ("two years ago he ate a sock and had surgery, he's fine now, is he due for shots", False),
    ("he is getting neutered next week, today he is limping", False),
    ("i'd like to book my rabbit in to be neutered", False),
    ("she isn't spayed and she's vomiting", False),
]


@pytest.mark.parametrize(("text", "post_op"), POST_OP)
def test_post_op_is_a_surgery_in_the_last_14_days(text: str, post_op: bool) -> None:
    assert ("post_op" in run(text).flags) is post_op


@pytest.mark.parametrize(
    ("text", "repro"),
    [
        ("my neutered cat has been sneezing since yesterday", "neutered"),
        ("she's spayed and has been vomiting today", "neutered"),
        ("he was neutered as a puppy and now he is limping", "neutered"),
        ("my dog was spayed last tuesday and she's not eating", "neutered"),
        ("she isn't spayed and she's vomiting", "intact"),
    ],
)
def test_spayed_or_neutered_is_the_reproductive_status(text: str, repro: str) -> None:
    assert run(text).patient.repro == repro


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("my neutered cat has been sneezing", True),  # nothing said of a recent surgery: ask
        ("he's fixed and he's coughing", True),
        ("he was neutered as a puppy and now he is coughing", False),  # older: answered
        ("she was spayed 3 years ago and she is coughing", False),
        ("she was spayed last tuesday and she is coughing", False),  # post-op: answered
    ],
)
def test_the_surgery_question_is_asked_unless_answered(text: str, asked: bool) -> None:
    assert ("surgery" in run(text).unknowns()) is asked


# (text, name): the sentence names the pet (after the species or breed, 'named', 'her name is',
# first in a sentence followed by what she does or is), even when the name is also a word
NAMES: list[tuple[str, str | None]] = [
    ("my cat Oreo has been sneezing", "Oreo"),
    ("Snickers has diarrhea since this morning", "Snickers"),
    ("my dog, Pepper, is limping", "Pepper"),
    ("her name is Ginger and she is vomiting", "Ginger"),
    ("Lily has thrown up a couple of times tonight but she's playing", "Lily"),
    ("my dog Hershey is limping", "Hershey"),
    ("Sugar keeps throwing up", "Sugar"),
    ("Peaches is coughing", "Peaches"),
    ("Bear has been limping since yesterday", "Bear"),
    ("Coco has diarrhea", "Coco"),
    ("Rocky is vomiting", "Rocky"),
    ("hi, Daisy threw up twice", "Daisy"),
    ("so um Snickers won't eat", "Snickers"),
    ("my dog is fine. Oreo has been sneezing all day", "Oreo"),
    ("his name's Bear and he's limping", "Bear"),
    ("my dog's name is hershey, she's a chocolate lab", "Hershey"),
    ("we call her Coco, she's vomiting", "Coco"),
    ("it's about Pepper, she's vomiting", "Pepper"),
    ("Rocky, he's my tomcat, hasn't eaten", "Rocky"),
    ("Oreo, my cat, is sneezing", "Oreo"),
    ("snickers, that's my cat, her chin is all swollen", "Snickers"),
    ("my puppy Peanut has diarrhea", "Peanut"),
    ("our new puppy sugar, she's eight weeks old, has diarrhea", "Sugar"),
    ("my dachshund oreo, she's seven, is dragging her back legs", "Oreo"),
    ("my cat ginger, he's been in the litter box all night", "Ginger"),
    ("Ginger is a 5 year old tabby and she is sneezing", "Ginger"),
    ("max is a 3 year old lab and he's limping", "Max"),
    ("my dog bella is vomiting", "Bella"),
    ("his name is max and he ate a sock", "Max"),
    # names one letter from a rule word are not "corrected" to it, nor other names to them
    ("her name is pepper and she's sneezing", "Pepper"),  # not "pupper" (a dog word)
    ("my cat pumpkin is limping", "Pumpkin"),  # not "pumping"
    ("my dog charlie ate a sock", "Charlie"),  # not "charles" (king charles)
    ("Harley has been vomiting", "Harley"),  # not "hardly"
    ("my cat mittens is limping", "Mittens"),
    ("hes a beagle named copper and he threw up", "Copper"),  # not "cooper"
    # a word of the rules in the same places, not a name
    ("my dog ate an oreo", None),
    ("my dog ate a snickers bar", None),
    ("my dog's sugar levels are high", None),
    ("Pepper spray got in his eyes", None),
    ("Ginger snaps are what he ate", None),
    ("Chocolate is toxic to dogs right?", None),
    ("Vomiting started last night", None),
    ("Breathing is fast and heavy", None),
    # an unknown first word needs a sign or an introduction after it
    ("Husband has the flu and my dog is vomiting", None),
    ("Poop has blood in it", None),
    ("Everything is fine but he's limping", None),
    ("Tonight he is limping", None),
    ("I called earlier about my dog", None),
    ("I'm calling about my dog", None),
    ("my puppy has a honking cough since we got him from the shelter wednesday", None),
    ("i wanted to leave a message for doctor nguyen to call me about my rabbits diet", None),
]


@pytest.mark.parametrize(("text", "name"), NAMES)
def test_the_pets_name(text: str, name: str | None) -> None:
    assert run(text).patient.name == name


@pytest.mark.parametrize(
    ("turns", "name"),
    [
        (("my dog is vomiting", "Oreo"), "Oreo"),  # the answer to "what's her name?"
        (("my cat is sneezing", "pepper"), "Pepper"),
        (("my cat is sneezing", "its peaches"), "Peaches"),
        (("my dog is vomiting", "her name is sugar"), "Sugar"),
        (("my dog is vomiting", "yes"), None),
        (("my dog is vomiting", "vomiting"), None),
    ],
)
def test_a_name_given_as_an_answer(turns: tuple[str, ...], name: str | None) -> None:
    assert run(*turns).patient.name == name


@pytest.mark.parametrize(
    ("text", "young"),
    [
        ("my puppy has diarrhea", True),
        ("she's just a puppy and she is vomiting", True),
        ("my 10 week old kitten is sneezing", True),
        ("he was neutered as a puppy and now he is limping", False),  # young then, not now
        ("my dog has had allergies since he was a puppy", False),
        ("he had a seizure when he was a puppy, he's six now", False),
        ("she got spayed when she was a kitten, now she is sneezing", False),
    ],
)
def test_young_is_now_not_once(text: str, young: bool) -> None:
    assert ("young" in run(text).flags) is young
