"""The lifecycle status catalogue (MDT-105 ``ProcessConditionCode``).

Sources: the BR-FR-CDV schematron shipped by ``pyfrctc`` (code lists BR-FR-CDV-CL-06 statuses,
CL-09 reasons per status, CL-10 actions, CL-11 characteristic types, BR-FR-CDV-15 mandatory
reasons) and XP Z12-014 Annexe B v1.3/v1.4 (names, phases, setters, the statuses sent to the PPF,
MDT-88 UN status codes as written in the UC1-UC5 examples). ``label`` is MDT-106 as the official
examples write it (underscores instead of spaces); ``label_text`` is the same for people.

MDT-88 (UN/CEFACT status code) is only filled where an official example shows the value; it is
optional in CDAR (BR-FR-CDV-CL-05 accepts its absence), so nothing is guessed.
Reason labels (MDT-114) are informative wording of ours, except DOUBLON and TX_TVA_ERR which are
written as in the official examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Actor(str, Enum):
    """Who sets a status. Platforms: PA-E (the seller's, issuing) and PA-R (the buyer's, receiving)."""

    SELLER = "seller"
    BUYER = "buyer"
    SELLER_PLATFORM = "seller_platform"
    BUYER_PLATFORM = "buyer_platform"


#: MDT-77: acknowledgement document type per phase.
PHASE_TRANSMISSION = "305"
PHASE_PROCESSING = "23"

#: When a status is queued for the PPF (Flux 6).
PPF_ALWAYS = "always"
PPF_WHEN_VAT_ON_RECEIPT = "vat_on_receipt"
PPF_NEVER = "never"

#: MDT-3 guideline ids.
GUIDELINE_PEER = "urn.cpro.gouv.fr:1p0:CDV:invoice"
GUIDELINE_PPF = "urn.cpro.gouv.fr:1p0:CDV:einvoicingF2"
#: The PPF in CDAR (BR-FR-CDV-02): id 0000 in scheme 0238, role DFH. Older examples used 9998.
PPF_ID = "0000"
PPF_LEGACY_ID = "9998"
PLATFORM_SCHEME = "0238"
PPF_ROLE = "DFH"
PLATFORM_ROLE = "WK"
#: Chorus Pro (B2G) as sender id: enables the B2G refusal reasons of BR-FR-CDV-CL-09.
CHORUS_PRO_ID = "9999"

#: BR-FR-CDV-CL-09 global list (MDT-113) with informative labels.
REASONS: dict[str, str] = {
    "RETRAIT_MAN_SERV": "Retrait de la mise en service",
    "ST_CT_NON_DECLAR": "Sous-traitant non déclaré",
    "SUPPR_COMP_AVOIR": "Suppression par compensation d'avoir",
    "TRANSF_PMNT_REGIE": "Transfert du paiement à une régie",
    "CONTACT_ACHTR": "Contacter l'acheteur",
    "NON_TRANSMISE": "Facture non transmise au destinataire",
    "JUSTIF_ABS": "Justificatif absent ou insuffisant",
    "ROUTAGE_ERR": "Erreur de routage",
    "AUTRE": "Autre motif",
    "COORD_BANC_ERR": "Coordonnées bancaires erronées",
    "TX_TVA_ERR": "Taux de TVA erroné",
    "MONTANTTOTAL_ERR": "Montant total erroné",
    "CALCUL_ERR": "Erreur de calcul",
    "NON_CONFORME": "Facture non conforme (mention obligatoire absente)",
    "DOUBLON": "Facture en doublon (déjà émise / reçue)",
    "DEST_INC": "Destinataire inconnu",
    "DEST_ERR": "Erreur de destinataire",
    "TRANSAC_INC": "Transaction inconnue",
    "EMMET_INC": "Émetteur inconnu",
    "CONTRAT_TERM": "Contrat terminé",
    "DOUBLE_FACT": "Double facturation",
    "CMD_ERR": "Référence de commande erronée ou absente",
    "ADR_ERR": "Adresse de facturation erronée",
    "SIRET_ERR": "SIRET erroné ou absent",
    "CODE_ROUTAGE_ERR": "Code de routage erroné ou absent",
    "REF_CT_ABSENT": "Référence contractuelle absente",
    "REF_ERR": "Référence erronée",
    "PU_ERR": "Prix unitaire erroné",
    "REM_ERR": "Remise erronée",
    "QTE_ERR": "Quantité erronée",
    "ART_ERR": "Article erroné",
    "MODPAI_ERR": "Modalités de paiement erronées",
    "QUALITE_ERR": "Qualité non conforme",
    "LIVR_INCOMP": "Livraison incomplète",
    "REJ_SEMAN": "Rejet sémantique",
    "REJ_UNI": "Rejet pour non-unicité",
    "REJ_COH": "Rejet pour incohérence",
    "REJ_ADR": "Rejet pour erreur d'adressage",
    "REJ_CONT_B2G": "Rejet d'un contrôle B2G",
    "REJ_REF_PJ": "Rejet : pièce jointe référencée absente",
    "REJ_ASS_PJ": "Rejet : association de pièce jointe erronée",
    "IRR_VIDE_F": "Fichier vide",
    "IRR_TYPE_F": "Type de fichier non autorisé",
    "IRR_SYNTAX": "Syntaxe invalide",
    "IRR_TAILLE_PJ": "Pièce jointe trop volumineuse",
    "IRR_NOM_PJ": "Nom de pièce jointe invalide",
    "IRR_VID_PJ": "Pièce jointe vide",
    "IRR_EXT_DOC": "Extension de document non autorisée",
    "IRR_TAILLE_F": "Fichier trop volumineux",
    "IRR_ANTIVIRUS": "Fichier infecté",
    "IRR_NOM_F": "Nom de fichier invalide",
}

#: BR-FR-CDV-CL-10 (MDT-121) requested actions.
ACTIONS = ("NOA", "PIN", "NIN", "CNF", "CNP", "CNA", "OTH")
#: BR-FR-CDV-CL-11 (MDT-207) characteristic types.
CHARACTERISTIC_TYPES = ("MEN", "MPA", "RAP", "ESC", "RAB", "REM", "MAP", "MAPTTC", "MNA", "MNATTC", "CBB", "DIV",
                        "DVA", "MAJ")
#: BR-FR-CDV-CL-06: every status code the CDAR code list accepts (some are not set by this platform).
ACCEPTED_CODES = frozenset((200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 220, 221, 224,
                            225, 226, 227, 228, 250, 251, 300, 301, 400, 401, 500, 501, 601))
#: BR-FR-CDV-15: a reason code is mandatory for these.
REASON_REQUIRED = frozenset((206, 207, 208, 210, 213, 501))

_R213 = ("MONTANTTOTAL_ERR", "CALCUL_ERR", "DOUBLON", "DEST_INC", "ADR_ERR", "REJ_SEMAN", "REJ_UNI", "REJ_COH",
         "REJ_ADR", "REJ_CONT_B2G", "REJ_REF_PJ", "REJ_ASS_PJ")
_R210 = ("TX_TVA_ERR", "MONTANTTOTAL_ERR", "CALCUL_ERR", "NON_CONFORME", "DOUBLON", "DEST_ERR", "TRANSAC_INC",
         "EMMET_INC", "CONTRAT_TERM", "DOUBLE_FACT", "CMD_ERR", "ADR_ERR", "REF_CT_ABSENT")
#: 210 when the sender is Chorus Pro (0238 id 9999).
R210_B2G = ("RETRAIT_MAN_SERV", "ST_CT_NON_DECLAR", "SUPPR_COMP_AVOIR", "TRANSF_PMNT_REGIE", "AUTRE", "COORD_BANC_ERR",
            *_R210, "LIVR_INCOMP")
_R207 = ("AUTRE", "COORD_BANC_ERR", "TX_TVA_ERR", "MONTANTTOTAL_ERR", "CALCUL_ERR", "NON_CONFORME", "DOUBLON",
         "DEST_INC", "DEST_ERR", "TRANSAC_INC", "EMMET_INC", "CONTRAT_TERM", "DOUBLE_FACT", "CMD_ERR", "ADR_ERR",
         "SIRET_ERR", "CODE_ROUTAGE_ERR", "REF_CT_ABSENT", "REF_ERR", "PU_ERR", "REM_ERR", "QTE_ERR", "ART_ERR",
         "MODPAI_ERR", "QUALITE_ERR", "LIVR_INCOMP")
_R206 = ("AUTRE", "CMD_ERR", "SIRET_ERR", "CODE_ROUTAGE_ERR", "REF_CT_ABSENT", "REF_ERR", "PU_ERR", "REM_ERR",
         "QTE_ERR", "ART_ERR", "MODPAI_ERR", "QUALITE_ERR", "LIVR_INCOMP")
_R208 = ("JUSTIF_ABS", "COORD_BANC_ERR", "CMD_ERR", "SIRET_ERR", "CODE_ROUTAGE_ERR", "REF_CT_ABSENT", "REF_ERR")
_R501 = ("IRR_VIDE_F", "IRR_TYPE_F", "IRR_SYNTAX", "IRR_TAILLE_PJ", "IRR_NOM_PJ", "IRR_VID_PJ", "IRR_EXT_DOC",
         "IRR_TAILLE_F", "IRR_ANTIVIRUS", "IRR_NOM_F")


@dataclass(frozen=True)
class Status:
    code: int
    label: str  # MDT-106 as written in the official examples
    phase: str  # MDT-77: 305 transmission, 23 processing
    set_by: frozenset[Actor]
    reasons: tuple[str, ...] | None = None  # allowed MDT-113 codes (None: any code of REASONS)
    terminal: bool = False
    ppf: str = PPF_NEVER
    un_status: str | None = None  # MDT-88 as in the official examples

    @property
    def label_text(self) -> str:
        return self.label.replace("_", " ")

    @property
    def reason_required(self) -> bool:
        return self.code in REASON_REQUIRED

    @property
    def transmission(self) -> bool:
        return self.phase == PHASE_TRANSMISSION

    def goes_to_ppf(self, *, vat_on_receipt: bool) -> bool:
        return self.ppf == PPF_ALWAYS or (self.ppf == PPF_WHEN_VAT_ON_RECEIPT and vat_on_receipt)


_S, _B = Actor.SELLER, Actor.BUYER
_PE, _PR = Actor.SELLER_PLATFORM, Actor.BUYER_PLATFORM

CATALOGUE: dict[int, Status] = {
    s.code: s
    for s in (
        Status(200, "Déposée", PHASE_TRANSMISSION, frozenset({_PE}), ("NON_TRANSMISE",), ppf=PPF_ALWAYS,
               un_status="10"),
        Status(201, "Émise", PHASE_TRANSMISSION, frozenset({_PE})),
        Status(202, "Reçue", PHASE_TRANSMISSION, frozenset({_PR}), un_status="43"),
        Status(203, "Mise_à_disposition", PHASE_TRANSMISSION, frozenset({_PR}), un_status="48"),
        Status(204, "Prise_en_charge", PHASE_PROCESSING, frozenset({_B}), un_status="45"),
        Status(205, "Approuvée", PHASE_PROCESSING, frozenset({_B}), un_status="1"),
        Status(206, "Approuvée_partiellement", PHASE_PROCESSING, frozenset({_B}), _R206),
        Status(207, "En_litige", PHASE_PROCESSING, frozenset({_B}), _R207, un_status="46"),
        Status(208, "Suspendue", PHASE_PROCESSING, frozenset({_B}), _R208),
        Status(209, "Complétée", PHASE_PROCESSING, frozenset({_S})),
        Status(210, "Refusée", PHASE_PROCESSING, frozenset({_B}), _R210, terminal=True, ppf=PPF_ALWAYS,
               un_status="50"),
        Status(211, "Paiement_transmis", PHASE_PROCESSING, frozenset({_B}), un_status="47"),
        Status(212, "Encaissée", PHASE_PROCESSING, frozenset({_S}), ppf=PPF_WHEN_VAT_ON_RECEIPT, un_status="47"),
        Status(213, "Rejetée", PHASE_TRANSMISSION, frozenset({_PE, _PR}), _R213, terminal=True, ppf=PPF_ALWAYS,
               un_status="8"),
        Status(220, "Annulée", PHASE_PROCESSING, frozenset({_S}), terminal=True),
        Status(221, "Erreur_de_routage", PHASE_TRANSMISSION, frozenset({_PR}), ("ROUTAGE_ERR",)),
        Status(501, "Irrecevable", PHASE_TRANSMISSION, frozenset({_PR}), _R501, terminal=True),
    )
}

#: What the buyer and the seller may set through the API (the platforms set the others).
BUYER_CODES = tuple(c for c, s in CATALOGUE.items() if _B in s.set_by)
SELLER_CODES = tuple(c for c, s in CATALOGUE.items() if _S in s.set_by)
TERMINAL_CODES = frozenset(c for c, s in CATALOGUE.items() if s.terminal)
TRANSMISSION_ORDER = (200, 201, 202, 203)


def get(code: int) -> Status | None:
    return CATALOGUE.get(code)


def allowed_reasons(code: int, *, sender_id: str | None = None) -> tuple[str, ...]:
    """Allowed MDT-113 codes for a status (BR-FR-CDV-CL-09); 210 sent by Chorus Pro has the B2G list."""
    status = CATALOGUE.get(code)
    if code == 210 and sender_id == CHORUS_PRO_ID:
        return R210_B2G
    if status is None or status.reasons is None:
        return tuple(REASONS)
    return status.reasons
